// The audit log as a user reads it: every request through the openai SDK (served, denied,
// failed, streamed) has its entry with the right fields, durable before the response ends;
// `cutover state apply|rollback` and `cutover audit keygen` add control entries; `cutover
// audit verify` trusts the public keys from keygen; a gateway reads its master key from
// --master-key-file, and so do the CLI commands that sign; a keygen whose seal fails
// leaves the old key in service. On SQLite, and on PostgreSQL when the test server runs.
// (Load, kill -9 and outages: audit_load.test.mjs; tampering and proofs: audit_tamper.test.mjs.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import OpenAI from 'openai';
import * as h from './harness.mjs';
import * as a from './audit_common.mjs';

for (const backend of ['sqlite', 'postgres']) {
  describe(`audit entries on ${backend}`, { skip: backend === 'postgres' && h.postgresSkip }, () => {
    let dir, mock, gw, store;
    const test = (name, fn) => it(name, { timeout: 60000 }, h.withLogs(() => [gw, mock], fn));
    before(async () => {
      dir = await h.tempDir('cutover-audit-');
      mock = await h.startMock();
      store = await a.storeWithState(backend, dir, mock);
      gw = await h.startGateway(h.gatewayConfig({ color: 'green' }), { dir, args: ['--store', store.url] });
    });
    after(async () => {
      await h.cleanup({ procs: [gw, mock], dirs: [dir] });
      await store?.drop();
    });

    test('every request has its entry with the right fields; a stream\'s is there by [DONE]', async () => {
      const client = new OpenAI({ baseURL: gw.baseUrl, apiKey: a.KEY, maxRetries: 0, timeout: 20000 });
      const messages = [{ role: 'user', content: 'audit me' }];

      const done = await client.chat.completions.create({ model: 'chat', messages }).withResponse();
      const completionId = done.response.headers.get('x-request-id');

      const streamed = await client.chat.completions.create({ model: 'chat', messages, stream: true }).withResponse();
      let chunks = 0;
      for await (const _ of streamed.data) chunks++;
      // The SDK has seen [DONE] and the end of the response: the entry must already be in
      // the store (no waiting, no retry).
      const streamId = streamed.response.headers.get('x-request-id');
      const [streamEntry, ...more] = await a.queryRequest(store.url, streamId);
      assert.ok(streamEntry, `no entry for the stream ${streamId} once the client had [DONE]`);
      assert.equal(more.length, 0);
      assert.ok(chunks > 1);

      const denied = await new OpenAI({ baseURL: gw.baseUrl, apiKey: 'sk-not-a-key', maxRetries: 0 })
        .chat.completions.create({ model: 'chat', messages }).catch((e) => e);
      assert.equal(denied.status, 401);
      const unknown = await client.chat.completions.create({ model: 'no-such-model', messages }).catch((e) => e);
      assert.equal(unknown.status, 404);

      const want = {
        [completionId]: { http_status: 200, decision: 'allow', subject: 'auditor', tenant: 'acme', route: 'chat',
                          requested_model: 'chat', responding_model: 'mock-fast', provider: 'mock',
                          tokens_in: done.data.usage.prompt_tokens, tokens_out: done.data.usage.completion_tokens },
        [streamId]: { http_status: 200, decision: 'allow', subject: 'auditor', route: 'chat', provider: 'mock',
                      responding_model: 'mock-fast' },
        [denied.requestID]: { http_status: 401, decision: 'deny', subject: '', route: '', provider: '',
                              tokens_in: 0, tokens_out: 0 },
        [unknown.requestID]: { http_status: 404, decision: 'reject', subject: 'auditor', route: '',
                               requested_model: 'no-such-model', provider: '', tokens_in: 0, tokens_out: 0 },
      };
      const seqs = [];
      for (const [id, fields] of Object.entries(want)) {
        assert.match(id, /^[0-9a-f]{32}$/);
        const rows = await a.queryRequest(store.url, id);
        assert.equal(rows.length, 1, `entries of ${id}: ${JSON.stringify(rows)}`);
        const { entry, hash, prev_hash: prev } = rows[0];
        seqs.push(rows[0].seq);
        assert.equal(rows[0].type, 'entry');
        assert.match(hash, /^[0-9a-f]{64}$/);
        assert.match(prev, /^[0-9a-f]{64}$/);
        for (const [k, v] of Object.entries({ kind: 'request', color: 'green', request_id: id, schema: 1, shadow: false,
                                              seq: rows[0].seq, ...fields }))
          assert.deepEqual(entry[k], v, `${id} (status ${fields.http_status}): ${k}`);
        assert.match(entry.trace_id, /^[0-9a-f]{32}$/);
        assert.match(entry.request_sha256, /^[0-9a-f]{64}$/);
        assert.match(entry.response_sha256, /^[0-9a-f]{64}$/);
        assert.match(entry.policy_versions, /routes=1/);
        assert.ok(entry.latency_us > 0);
        if (fields.http_status !== 200) assert.notEqual(entry.reason, '', 'a refusal records why');
      }
      // A stream's tokens are counted even though the client did not ask for usage.
      assert.ok(streamEntry.entry.tokens_in > 0 && streamEntry.entry.tokens_out > 0, JSON.stringify(streamEntry.entry));
      // One after the other, each durable before its response: their seqs ascend.
      assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `seqs ${seqs}`);

      const ok = await a.verifyOk(store.url, store.publicKey);
      assert.match(ok, /1 key \(--public-key\)/);
      // A key the log was not signed with is not trusted.
      const stranger = path.join(dir, 'stranger.pub');
      await writeFile(stranger, `${'ab'.repeat(32)}\n`);
      const bad = await a.verify(['--store', store.url, '--public-key', stranger]);
      assert.equal(bad.code, 1, bad.stdout);
      assert.match(bad.stderr, /^cutover audit verify: FAILED at seq \d+: .*unknown key id/);
    });

    test('state apply and rollback add signed control entries', async () => {
      const earlier = (await a.exportLog(store.url)).entries.length;
      await a.applyState(dir, store.url, a.stateYaml(mock.port, { alias: 'chat-v2' }), ['--author', 'e2e-operator']);
      // The same file again changes nothing and records nothing.
      await a.applyState(dir, store.url, a.stateYaml(mock.port, { alias: 'chat-v2' }));
      await a.cli(['state', 'rollback', 'routes', '--store', store.url, '--author', 'e2e-rollback'], 'state rollback');
      const added = (await a.exportLog(store.url)).entries.slice(earlier);
      assert.deepEqual(added.map((e) => [e.entry.kind, e.entry.decision]),
        [['control', 'state.apply'], ['control', 'state.rollback']], JSON.stringify(added.map((e) => e.entry)));
      const [apply, rollback] = added.map((e) => e.entry);
      assert.equal(apply.subject, 'e2e-operator');
      assert.match(apply.reason, /routes v2/);
      assert.match(apply.policy_versions, /routes=2/);
      assert.equal(rollback.subject, 'e2e-rollback');
      assert.match(rollback.policy_versions, /routes=1/);
      assert.equal(apply.request_id, '');
      await a.verifyOk(store.url, store.publicKey);
    });

    // Last in this block: afterwards the log holds two keys.
    test('audit keygen rotates the key with an audit.keygen control entry signed by the new key', async () => {
      const keyId = async (file) => createHash('sha256')
        .update(Buffer.from((await readFile(file, 'utf8')).trim(), 'hex')).digest('hex').slice(0, 16);
      const oldId = await keyId(store.publicKey);
      // The store's first entry is its first keygen: one key, none retired.
      const [first] = (await a.exportLog(store.url)).entries;
      assert.deepEqual([first.seq, first.entry.kind, first.entry.decision], [1, 'control', 'audit.keygen']);
      assert.equal(first.entry.reason, `key ${oldId} in service; no key retired`);

      const earlier = (await a.exportLog(store.url)).entries.length;
      const snapshots = () => gw.logs().filter((l) => l.msg === 'state snapshot loaded').length;
      const loaded = snapshots();
      const newPub = path.join(dir, 'rotated.pub');
      // No grace at all: the old key is retired before the control entry is written, so
      // only the new key can sign it (docs/AUDIT.md "Keys").
      const r = await a.cli(['audit', 'keygen', '--store', store.url, '--retire-after', '0', '--public-key-out', newPub],
        'audit keygen');
      const newId = /audit signing key ([0-9a-f]{16}) created/.exec(r.stdout)?.[1];
      assert.equal(newId, await keyId(newPub), r.stdout);
      assert.match(r.stdout, new RegExp(`^key ${oldId} retires in 0 s$`, 'm'));

      const q = await a.cli(['audit', 'query', '--store', store.url, '--format', 'jsonl'], 'audit query');
      const rows = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const rotations = rows.filter((row) => row.entry.kind === 'control' && row.entry.decision === 'audit.keygen');
      assert.equal(rotations.length, 2, JSON.stringify(rotations.map((row) => row.entry)));
      const { seq, entry } = rotations[1];
      assert.equal(seq, earlier + 1);
      assert.match(entry.reason, new RegExp(`^key ${newId} in service; key ${oldId} retired at unix ns \\d+$`));
      assert.match(entry.subject, /^cli:audit keygen \(.+@.+\)$/);
      assert.match(entry.policy_versions, /^secrets=\d+$/);
      const table = await a.cli(['audit', 'query', '--store', store.url, '--format', 'table'], 'audit query');
      assert.match(table.stdout, new RegExp(`^${seq} .* control .* audit\\.keygen`, 'm'));

      // The gateway signs with the new key from its next snapshot on.
      await h.until(() => snapshots() > loaded, { timeoutMs: 10000, what: 'the gateway to load the new key' });
      assert.equal((await a.chat(gw)).status, 200);

      // Both public keys: the old one vouches for what it signed before its retirement.
      const ok = await a.verify(['--store', store.url, '--public-key', store.publicKey, '--public-key', newPub]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`^ok: ${seq + 1} entries .* 2 keys \\(--public-key\\)`));
      // The new key alone does not vouch for what the old one signed.
      const onlyNew = await a.verify(['--store', store.url, '--public-key', newPub]);
      assert.equal(onlyNew.code, 1, onlyNew.stdout);
      assert.match(onlyNew.stderr, /FAILED at seq 1: .*unknown key id/);
    });
  });
}

// A gateway that reads its master key from --master-key-file, with no CUTOVER_MASTER_KEY.
describe('a gateway with --master-key-file', () => {
  const noEnv = { CUTOVER_MASTER_KEY: undefined };
  let dir, mock, gw, store, config;
  before(async () => {
    dir = await h.tempDir('cutover-audit-');
    mock = await h.startMock();
    store = await a.storeWithState('sqlite', dir, mock);  // keygen sealed under h.MASTER_KEY
    config = path.join(dir, 'gateway.yaml');
    await writeFile(config, h.toYaml(h.gatewayConfig()));
  });
  after(() => h.cleanup({ procs: [gw, mock], dirs: [dir] }));

  const keyFile = async (name, text, mode = 0o600) => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    await chmod(file, mode);
    return file;
  };

  it('opens the audit signing key and serves 200, audited', { timeout: 60000 }, h.withLogs(() => [gw, mock], async () => {
    const file = await keyFile('master.key', `${h.MASTER_KEY}\n`);
    gw = await h.startGateway(h.gatewayConfig(), { dir, args: ['--store', store.url, '--master-key-file', file], env: noEnv });
    const environ = (await readFile(`/proc/${gw.pid}/environ`, 'latin1')).split('\0');
    assert.ok(!environ.some((v) => v.startsWith('CUTOVER_MASTER_KEY=')), 'the gateway has CUTOVER_MASTER_KEY');
    const r = await a.chat(gw);
    assert.equal(r.status, 200, r.body);
    const rows = await a.queryRequest(store.url, r.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].entry.decision, 'allow');
    await a.verifyOk(store.url, store.publicKey);
  }));

  it('exits 2 with one line naming a file that is missing, readable by others or not a key', async () => {
    const cases = {
      missing: [path.join(dir, 'no-such.key'), /cannot be opened: No such file or directory/],
      'mode 644': [await keyFile('open.key', `${h.MASTER_KEY}\n`, 0o644), /accessible by group or others \(mode 0644\).*chmod 600/],
      'not a key': [await keyFile('bad.key', 'not a master key!\n'), /is neither base64 nor 64 hex characters/],
      'wrong length': [await keyFile('short.key', `${'ab'.repeat(16)}\n`), /hex characters; a master key in hex has 64/],
    };
    for (const [name, [file, why]] of Object.entries(cases)) {
      const r = await h.runCutover(['gateway', '--config', config, '--store', store.url, '--master-key-file', file],
        { env: noEnv });
      assert.equal(r.code, 2, `${name}: exit ${r.code} ${r.signal}\n${r.stderr}`);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
      assert.ok(lines[0].startsWith(`cutover gateway: --master-key-file: master key file '${file}' `), `${name}: ${lines[0]}`);
      assert.match(lines[0], why, name);
    }
  });
});

const keyIdOf = async (publicKeyFile) => createHash('sha256')
  .update(Buffer.from((await readFile(publicKeyFile, 'utf8')).trim(), 'hex')).digest('hex').slice(0, 16);

const writeKeyFile = async (dir, name, text, mode = 0o600) => {
  const file = path.join(dir, name);
  await writeFile(file, text);
  await chmod(file, mode);
  return file;
};

// A keygen whose new key cannot be sealed (here: the store refuses the secrets document)
// retires nothing: the old key stays in service and what the gateway signs keeps verifying.
describe('audit keygen whose seal fails', () => {
  let dir, mock, gw, store;
  const sqlite = (sql) => new Promise((resolve, reject) => {
    execFile('sqlite3', [store.url.replace(/^sqlite:\/\//, ''), sql], { timeout: 15000 },
      (err, stdout, stderr) => (err ? reject(new Error(`sqlite3: ${stderr || err.message}`)) : resolve(stdout)));
  });
  before(async () => {
    dir = await h.tempDir('cutover-audit-');
    mock = await h.startMock();
    store = await a.storeWithState('sqlite', dir, mock);
    gw = await h.startGateway(h.gatewayConfig(), { dir, args: ['--store', store.url] });
  });
  after(() => h.cleanup({ procs: [gw, mock], dirs: [dir] }));

  it('exits 1, retires nothing, and the gateway keeps serving with the old key', { timeout: 60000 },
    h.withLogs(() => [gw, mock], async () => {
      const oldId = await keyIdOf(store.publicKey);
      assert.equal((await a.chat(gw)).status, 200);
      await sqlite(`CREATE TRIGGER refuse_secrets BEFORE INSERT ON state_versions WHEN NEW.domain = 'secrets'
                    BEGIN SELECT RAISE(ABORT, 'secrets are read-only in this test'); END;`);
      // No grace: before the fix the old key was retired at once, with no new key sealed.
      const r = await h.runCutover(['audit', 'keygen', '--store', store.url, '--retire-after', '0'], { env: a.ENV });
      assert.equal(r.code, 1, `exit ${r.code}\n${r.stdout}${r.stderr}`);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], new RegExp(`^cutover audit keygen: the new key [0-9a-f]{16} could not be sealed, so it ` +
        `will never sign; key ${oldId} stays in service, not retired: .*secrets are read-only in this test`));

      const keys = (await a.exportLog(store.url)).lines.map((l) => JSON.parse(l)).filter((l) => l.type === 'key');
      assert.equal(keys.find((k) => k.key_id === oldId)?.retired_unix_ns, 0, JSON.stringify(keys));
      assert.ok(keys.every((k) => k.retired_unix_ns === 0), JSON.stringify(keys));
      const ids = [];
      for (let i = 0; i < 3; i++) {
        const c = await a.chat(gw);
        assert.equal(c.status, 200, c.body);
        ids.push(c.id);
      }
      await a.assertEveryIdOnce(store.url, ids);
      // Signed by the old key after the failed rotation, and still valid.
      await a.verifyOk(store.url, store.publicKey);
    }));
});

// The CLI commands that sign (state, traffic, audit checkpoint) with the master key from
// --master-key-file only, no CUTOVER_MASTER_KEY. No gateway runs: its signed heads would
// cover the CLI's entries and hide whether the CLI signed them.
describe('CLI commands with --master-key-file', () => {
  const noEnv = { ...a.ENV, CUTOVER_MASTER_KEY: undefined };
  let dir, mock, store, keyId;
  before(async () => {
    dir = await h.tempDir('cutover-audit-');
    mock = await h.startMock();
    store = await a.storeWithState('sqlite', dir, mock);
    keyId = await keyIdOf(store.publicKey);
  });
  after(() => h.cleanup({ procs: [mock], dirs: [dir] }));

  // The entries the command added and the signed heads among its lines.
  const run = async (args) => {
    const earlier = (await a.exportLog(store.url)).entries.length;
    const r = await h.runCutover(args, { env: noEnv, timeoutMs: 30000 });
    const lines = (await a.exportLog(store.url)).lines.map((l) => JSON.parse(l));
    const added = lines.filter((l) => l.type === 'entry').slice(earlier);
    const heads = lines.filter((l) => l.type === 'head');
    return { ...r, added, heads };
  };
  const stateFile = async (alias) => {
    const file = path.join(dir, `${alias}.yaml`);
    await writeFile(file, a.stateYaml(mock.port, { alias }));
    return file;
  };

  it('state apply, traffic set and audit checkpoint sign with the key the file opens', { timeout: 60000 }, async () => {
    const file = await writeKeyFile(dir, 'master.key', `${h.MASTER_KEY}\n`);
    const apply = await run(['state', 'apply', '-f', await stateFile('chat-file'), '--store', store.url, '--master-key-file', file]);
    assert.equal(apply.code, 0, apply.stderr);
    assert.doesNotMatch(apply.stderr, /unsigned/);
    assert.deepEqual(apply.added.map((e) => e.entry.decision), ['state.apply']);
    const seq = apply.added[0].seq;
    assert.ok(apply.heads.some((hd) => hd.seq === seq && hd.key_id === keyId),
      `no head of seq ${seq} signed by ${keyId}: ${JSON.stringify(apply.heads)}`);

    const set = await run(['traffic', 'set', '--store', store.url, '--env', 'blue=http://127.0.0.1:9', '--wait', '0',
                           '--master-key-file', file]);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(set.added.map((e) => e.entry.decision), ['traffic.set']);
    assert.ok(set.heads.some((hd) => hd.seq === set.added[0].seq && hd.key_id === keyId), JSON.stringify(set.heads));

    const cp = await h.runCutover(['audit', 'checkpoint', '--store', store.url, '--master-key-file', file], { env: noEnv });
    assert.equal(cp.code, 0, cp.stderr);
    assert.match(cp.stdout, new RegExp(`^signed checkpoint of size ${set.added[0].seq}$`, 'm'));
    await a.verifyOk(store.url, store.publicKey);

    // Without the file (and without the variable) the same commands cannot sign.
    const unsigned = await run(['state', 'apply', '-f', await stateFile('chat-env'), '--store', store.url]);
    assert.equal(unsigned.code, 0, unsigned.stderr);
    assert.match(unsigned.stderr, /written unsigned \(.*CUTOVER_MASTER_KEY is not set/);
    assert.ok(!unsigned.heads.some((hd) => hd.seq === unsigned.added[0].seq));
    const noCp = await h.runCutover(['audit', 'checkpoint', '--store', store.url], { env: noEnv });
    assert.equal(noCp.code, 1, noCp.stdout);
  });

  it('a bad file is one line and exit 1, before anything changes', { timeout: 60000 }, async () => {
    const bad = {
      missing: [path.join(dir, 'no-such.key'), /cannot be opened: No such file or directory/],
      'mode 644': [await writeKeyFile(dir, 'open.key', `${h.MASTER_KEY}\n`, 0o644), /accessible by group or others/],
      'not a key': [await writeKeyFile(dir, 'bad.key', 'not a master key!\n'), /is neither base64 nor 64 hex/],
    };
    const apply = await stateFile('chat-never');
    const commands = {
      'state apply': ['state', 'apply', '-f', apply, '--store', store.url],
      'state rollback': ['state', 'rollback', 'routes', '--store', store.url],
      'traffic set': ['traffic', 'set', '--store', store.url, '--env', 'green=http://127.0.0.1:9', '--wait', '0'],
      'traffic flip': ['traffic', 'flip', '--store', store.url, '--wait', '0'],
      'traffic revert': ['traffic', 'revert', '--store', store.url, '--wait', '0'],
      'audit checkpoint': ['audit', 'checkpoint', '--store', store.url],
      'audit keygen': ['audit', 'keygen', '--store', store.url],
    };
    for (const [name, [file, why]] of Object.entries(bad)) {
      for (const [command, args] of Object.entries(commands)) {
        const r = await run([...args, '--master-key-file', file]);
        assert.equal(r.code, 1, `${command}, ${name}: exit ${r.code}\n${r.stdout}${r.stderr}`);
        const lines = r.stderr.split('\n').filter(Boolean);
        assert.equal(lines.length, 1, `${command}, ${name}: ${r.stderr}`);
        assert.ok(lines[0].startsWith(`cutover ${command}: --master-key-file: master key file '${file}' `),
          `${command}, ${name}: ${lines[0]}`);
        assert.match(lines[0], why, `${command}, ${name}`);
        assert.deepEqual(r.added, [], `${command}, ${name}: wrote ${JSON.stringify(r.added)}`);
        assert.equal(r.stdout, '', `${command}, ${name}`);
      }
    }
  });
});

// The master key of this gateway is not the one the signing key was sealed with.
describe('a gateway that cannot sign', () => {
  let dir, upstream, gw, store, calls = 0;
  before(async () => {
    dir = await h.tempDir('cutover-audit-');
    upstream = http.createServer((req, res) => {
      calls++;
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', model: 'm', choices: [],
                                 usage: { prompt_tokens: 1, completion_tokens: 1 } }));
      });
    });
    await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
    store = await a.storeWithState('sqlite', dir, { port: upstream.address().port });
    gw = await h.startGateway(h.gatewayConfig(), { dir, args: ['--store', store.url],
      env: { CUTOVER_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') } });
  });
  after(async () => {
    await h.cleanup({ procs: [gw], dirs: [dir] });
    upstream.close();
  });

  it('answers 503 naming the audit signing key', h.withLogs(() => [gw], async () => {
    for (let i = 0; i < 3; i++) {
      const r = await a.chat(gw);
      assert.equal(r.status, 503, r.body);
      const { error } = JSON.parse(r.body);
      assert.equal(error.type, 'server_error');
      assert.match(error.message, /audit entry could not be written .*audit signing key/);
    }
    assert.ok((await h.scrape(gw)).value('cutover_audit_unavailable_total') >= 3);
  }));

  // The audit stage checks the snapshot's signing key before anything else runs.
  it('never sends an unrecordable request to the provider',
    async () => {
      const called = calls;
      for (let i = 0; i < 3; i++) {
        assert.equal((await a.chat(gw)).status, 503);
        await h.sleep(300);  // past the writer's probe interval: the case the bug is about
      }
      assert.equal(calls - called, 0, `the provider was called ${calls - called} times`);
    });
});
