// `cutover state ...` and `cutover store ...` as processes, on a fresh SQLite file and (when
// CUTOVER_TEST_POSTGRES_URL is set) on a fresh PostgreSQL schema per test.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { runCutover, tempDir, cleanup, secret, freshStore, postgresSkip } from './harness.mjs';

const sha256 = (s) => createHash('sha256').update(s).digest('hex');

// A valid state file: two providers, one route (model `model`), one literal key and one
// key from the environment.
function stateYaml({ model = 'mock-fast', key, extra = '' } = {}) {
  return `# a state file
providers:
  - name: mock
    base_url: http://127.0.0.1:9000/v1
    api_key_env: OPENAI_API_KEY
  - {name: backup, base_url: "http://127.0.0.1:9001/v1"}
routes:
  - alias: gpt-4o-mini
    targets:
      - {provider: mock, model: ${model}}
      - {provider: backup, model: "0123"}
    retry: {max_attempts: 2}
api_keys:
  - {id: demo, key: ${key}, tenant: demo, models: ["*"]}
  - {id: ops, key_env: E2E_OPS_KEY, tenant: ops}
limits:
  max_tokens: 4096
  rate: [{scope: key, rpm: 600}]
access:
  rules: [{tenants: [demo], aliases: [gpt-4o-mini], effect: allow}]
${extra}`;
}

for (const backend of ['sqlite', 'postgres']) {
  describe(`state CLI on ${backend}`, { skip: backend === 'postgres' && postgresSkip }, () => {
    let dir;
    let store;
    const demoKey = secret('sk-e2e-demo');
    const opsKey = secret('sk-e2e-ops');
    const env = { E2E_OPS_KEY: opsKey };

    const cutover = (args, opts = {}) =>
      runCutover([...args, '--store', store.url], { env, timeoutMs: 20000, ...opts });
    const writeState = async (name, text) => {
      const p = path.join(dir, name);
      await writeFile(p, text);
      return p;
    };
    const ok = (r, what) => {
      assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
      return r.stdout;
    };

    before(async () => {
      dir = await tempDir('cutover-state-');
    });
    after(async () => {
      await cleanup({ dirs: [dir] });
    });

    // Every test gets a store of its own, empty: no audit signing key (no gateway runs
    // here, and keygen would add a secrets domain); apply and rollback then write their
    // control entries unsigned, which audit_control.test.mjs covers with a key.
    const withStore = (fn) => async () => {
      store = await freshStore(backend, dir, { keygen: false });
      try {
        await fn();
      } finally {
        await store.drop();
      }
    };

    test('store migrate and status', withStore(async () => {
      let out = ok(await cutover(['store', 'status']), 'store status');
      assert.match(out, new RegExp(`backend: +${backend}`));
      assert.match(out, /schema version: 0 \(this binary knows (\d+)\)/);
      const known = /this binary knows (\d+)/.exec(out)[1];
      out = ok(await cutover(['store', 'migrate']), 'store migrate');
      assert.equal(out, `schema at version ${known}\n`);
      ok(await cutover(['store', 'migrate']), 'store migrate again');
      out = ok(await cutover(['store', 'status']), 'store status');
      assert.match(out, new RegExp(`schema version: ${known} \\(this binary knows ${known}\\)`));
      assert.doesNotMatch(out, /pending/);
    }));

    test('apply, re-apply, diff, history, rollback', withStore(async () => {
      const file = await writeState(`state-${backend}.yaml`, stateYaml({ key: demoKey }));
      assert.match(ok(await cutover(['state', 'show']), 'show'), /no state in .* yet/);

      let out = ok(await cutover(['state', 'apply', '-f', file, '--comment', 'first']), 'apply');
      for (const d of ['access', 'identity', 'limits', 'routes'])
        assert.match(out, new RegExp(`^${d}: v1 \\(sha256 [0-9a-f]{8}\u2026\\)$`, 'm'));

      out = ok(await cutover(['state', 'show']), 'show');
      const lines = out.trim().split('\n');
      assert.match(lines[0], /^DOMAIN +VERSION +SHA256 +AUTHOR +APPLIED \(UTC\)$/);
      assert.equal(lines.length, 5);
      assert.match(out, /^routes +v1 +[0-9a-f]{16} +cli:\S+ +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);

      // The same file again creates nothing.
      out = ok(await cutover(['state', 'apply', '-f', file]), 're-apply');
      for (const d of ['access', 'identity', 'limits', 'routes']) assert.match(out, new RegExp(`^${d}: unchanged \\(v1\\)$`, 'm'));
      assert.match(ok(await cutover(['state', 'diff', '-f', file]), 'diff'), /^no changes$/m);
      assert.match(ok(await cutover(['state', 'history', 'routes']), 'history'), /^routes: 1 version,/);

      // The same content written differently is the same document.
      const reordered = await writeState('reordered.yaml', `
access: {rules: [{effect: allow, aliases: [gpt-4o-mini], tenants: [demo]}]}
limits: {rate: [{rpm: 600.0, scope: key}], max_tokens: 4096}
`);
      out = ok(await cutover(['state', 'apply', '-f', reordered]), 'apply reordered');
      assert.equal(out, 'access: unchanged (v1)\nlimits: unchanged (v1)\n');

      // Change one route: diff shows it, dry run writes nothing, apply makes v2.
      const changed = await writeState('changed.yaml', stateYaml({ key: demoKey, model: 'mock-smart' }));
      out = ok(await cutover(['state', 'diff', '-f', changed]), 'diff');
      assert.match(out, /^routes: changed \(active v1\)$/m);
      assert.match(out, /^- +"model": "mock-fast",$/m);
      assert.match(out, /^\+ +"model": "mock-smart",$/m);
      assert.match(out, /^identity: unchanged \(v1\)$/m);
      assert.doesNotMatch(out, /no changes/);

      out = ok(await cutover(['state', 'apply', '-f', changed, '--dry-run']), 'dry run');
      assert.match(out, /^routes: would be changed from v1/m);
      assert.match(out, /^dry run: nothing was written$/m);
      assert.match(ok(await cutover(['state', 'show', 'routes']), 'show routes'), /^version: v1 \(active\)$/m);

      out = ok(await cutover(['state', 'apply', '-f', changed, '--author', 'e2e']), 'apply change');
      assert.match(out, /^routes: v2 \(sha256 [0-9a-f]{8}\u2026\)$/m);
      assert.match(out, /^identity: unchanged \(v1\)$/m);

      out = ok(await cutover(['state', 'history', 'routes']), 'history');
      assert.match(out, /^routes: 2 versions, oldest first/);
      assert.match(out, /^ +v1 +[0-9a-f]{16} +cli:\S+ +\S+Z +first$/m);
      assert.match(out, /^\* +v2 +[0-9a-f]{16} +e2e +\S+Z$/m);
      assert.ok(out.indexOf(' v1 ') < out.indexOf(' v2 '), 'oldest first');

      out = ok(await cutover(['state', 'rollback', 'routes']), 'rollback');
      assert.match(out, /^routes: v1 active \(was v2; sha256 [0-9a-f]{8}\u2026\)$/m);
      out = ok(await cutover(['state', 'show', 'routes']), 'show routes');
      assert.match(out, /^version: v1 \(active\)$/m);
      assert.match(out, /"model": "mock-fast"/);
      assert.match(out, /"model": "0123"/);  // a name that looks like a number stays a string
      assert.match(ok(await cutover(['state', 'history', 'routes']), 'history'), /^\* +v1 /m);

      // --to: forward again; a version that does not exist is refused.
      assert.match(ok(await cutover(['state', 'rollback', 'routes', '--to', '2']), 'rollback --to'), /^routes: v2 active \(was v1/m);
      const r = await cutover(['state', 'rollback', 'routes', '--to', '7']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^cutover state rollback: .*no version 7 \(it has versions 1 to 2\)/);
    }));

    test('a bad file is refused whole with the path of each problem', withStore(async () => {
      ok(await cutover(['state', 'apply', '-f', await writeState('good.yaml', stateYaml({ key: demoKey }))]), 'apply');
      const showBefore = ok(await cutover(['state', 'show']), 'show');
      const docsBefore = await Promise.all(['routes', 'identity', 'access', 'limits']
        .map(async (d) => ok(await cutover(['state', 'show', d]), `show ${d}`)));

      const bad = {
        'unknown provider': [
          stateYaml({ key: demoKey, model: 'm' }).replace('{provider: backup,', '{provider: nowhere,'),
          /^  routes\[0\]\.targets\[1\]\.provider: unknown provider 'nowhere'$/m],
        'unknown key': [
          stateYaml({ key: demoKey }).replace('retry: {max_attempts: 2}', 'retry: {max_attempts: 2, backof_ms: 5}'),
          /^  routes\[0\]\.retry\.backof_ms: unknown key$/m],
        'unknown top-level key': [
          stateYaml({ key: demoKey, extra: 'route: []\n' }), /^  route: unknown key/m],
        'literal provider api_key': [
          stateYaml({ key: demoKey }).replace('api_key_env: OPENAI_API_KEY', 'api_key: sk-provider-literal'),
          /^  providers\[0\]\.api_key: secrets are not stored in the shared state; use api_key_env, set on every gateway host$/m],
        'invalid YAML': [
          stateYaml({ key: demoKey }).replace('retry: {max_attempts: 2}', 'retry: {max_attempts: 2'),
          /^  not valid YAML: .*\(line \d+, column \d+\)$/m],
        'bad limits': [
          stateYaml({ key: demoKey }).replace('rpm: 600', 'rpm: -1'), /^  limits\.rate\[0\]\.rpm: expected /m],
        'unset key_env': [stateYaml({ key: demoKey }).replace('E2E_OPS_KEY', 'E2E_SURELY_UNSET'),
          /^  api_keys\[1\]\.key_env: environment variable E2E_SURELY_UNSET is not set/m],
      };
      for (const [what, [text, want]] of Object.entries(bad)) {
        // Every bad file also changes a route: it must not be applied either.
        const file = await writeState('bad.yaml', text.replace('mock-fast', 'mock-other'));
        for (const args of [['state', 'apply', '-f', file], ['state', 'diff', '-f', file]]) {
          const r = await cutover(args);
          assert.equal(r.code, 1, `${what}: ${args[1]} exit ${r.code}\n${r.stdout}${r.stderr}`);
          assert.match(r.stderr, want, `${what}: ${args[1]}\n${r.stderr}`);
          assert.match(r.stderr, /^cutover state (apply|diff): /);
          assert.doesNotMatch(r.stderr, /sk-provider-literal|sk-e2e/, 'a refusal never echoes a secret');
        }
      }
      assert.equal(ok(await cutover(['state', 'show']), 'show'), showBefore);
      const docsAfter = await Promise.all(['routes', 'identity', 'access', 'limits']
        .map(async (d) => ok(await cutover(['state', 'show', d]), `show ${d}`)));
      assert.deepEqual(docsAfter, docsBefore);
    }));

    test('the store holds no plaintext key', withStore(async () => {
      const file = await writeState('keys.yaml', stateYaml({ key: demoKey }));
      ok(await cutover(['state', 'apply', '-f', file]), 'apply');
      const out = ok(await cutover(['state', 'show', 'identity']), 'show identity');
      assert.ok(!out.includes(demoKey), 'literal key in the stored document');
      assert.ok(!out.includes(opsKey), 'key from the environment in the stored document');
      assert.ok(!out.includes('E2E_OPS_KEY'), 'key_env is replaced, not kept');
      assert.match(out, new RegExp(`"key_sha256": "${sha256(demoKey)}"`));
      assert.match(out, new RegExp(`"key_sha256": "${sha256(opsKey)}"`));
      assert.doesNotMatch(out, /"key"|"key_env"/);
      // The provider key is named, never stored.
      assert.match(ok(await cutover(['state', 'show', 'routes']), 'show routes'), /"api_key_env": "OPENAI_API_KEY"/);
    }));

    // (A rollback to a version that would no longer validate is refused: unit-tested in
    // store/state_admin_test.cpp, as every version the CLI writes was valid when written.)
    test('rollback without an earlier version says why', withStore(async () => {
      const r = await cutover(['state', 'rollback', 'routes']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^cutover state rollback: state domain 'routes' has no active version/);
      ok(await cutover(['state', 'apply', '-f', await writeState('one.yaml', stateYaml({ key: demoKey }))]), 'apply');
      const r2 = await cutover(['state', 'rollback', 'routes']);
      assert.equal(r2.code, 1);
      assert.match(r2.stderr, /no earlier version to roll back to/);
      assert.match(ok(await cutover(['state', 'rollback', 'routes', '--to', '1']), 'rollback to active'),
        /^routes: v1 is already active$/m);
    }));
  });
}

test('store URLs never show their password', async () => {
  const r = await runCutover(['state', 'show', '--store', 'postgres://app:hunter2-secret@127.0.0.1:1/db?connect_timeout=2']);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stderr, /hunter2-secret/);
  assert.match(r.stderr, /postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/db/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('--help points to the state file format', async () => {
  const r = await runCutover(['state', 'apply', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /docs\/STATE\.md/);
  assert.match(r.stdout, /--dry-run/);
});
