// Blue and green gateways on ONE shared store (SQLite, and PostgreSQL when the test server
// runs): one rate limit for both, a state change seen by both within a second, identical
// fingerprints, and a PostgreSQL outage that the last snapshot rides out.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFile } from 'node:fs/promises';
import * as h from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KEY = h.secret('sk-store');

function stateFile(mockPort, { rpm = 0, alias = 'chat' } = {}) {
  const state = {
    providers: [{ name: 'mock', base_url: `http://127.0.0.1:${mockPort}/v1` }],
    routes: [{ alias, targets: [{ provider: 'mock', model: 'mock-fast' }] }],
    api_keys: [{ id: 'shared', key_env: 'E2E_STORE_KEY', tenant: 'acme' }],
  };
  if (rpm) state.limits = { rate: [{ scope: 'key', rpm }] };
  return h.toYaml(state);
}

async function apply(dir, storeUrl, yaml) {
  const file = path.join(dir, `state-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, yaml);
  const r = await h.runCutover(['state', 'apply', '-f', file, '--store', storeUrl], { env: { E2E_STORE_KEY: KEY } });
  assert.equal(r.code, 0, `state apply failed: ${r.stderr}`);
}

const chat = (gw) => h.postJson(`${gw.baseUrl}/chat/completions`,
  { model: 'chat', messages: [{ role: 'user', content: 'hello' }] }, { headers: { authorization: `Bearer ${KEY}` } });

const ADMIN_TOKEN = h.secret('admin');

async function startPair(dir, storeUrl) {
  const node = { listen: '127.0.0.1:0', log: { level: 'info', access: true },
                 admin: { listen: '127.0.0.1:0', token_env: 'E2E_ADMIN_TOKEN' } };
  const env = { E2E_ADMIN_TOKEN: ADMIN_TOKEN };
  const blue = await h.startGateway(node, { dir, args: ['--store', storeUrl, '--color', 'blue'], env });
  const green = await h.startGateway(node, { dir, args: ['--store', storeUrl, '--color', 'green'], env });
  return [blue, green];
}

// GET /admin/state on a gateway's admin listener (its address is in the "admin listening" log line).
async function adminState(gw, token = ADMIN_TOKEN) {
  const line = gw.lines.find((l) => l.includes('"admin listening"'));
  assert.ok(line, 'no admin listener');
  const address = JSON.parse(line).address;
  return h.get(`http://${address}/admin/state`, { headers: { authorization: `Bearer ${token}` } });
}

for (const backend of ['sqlite', 'postgres']) {
  describe(`two gateways on one ${backend} store`, { skip: backend === 'postgres' && h.postgresSkip }, () => {
    let mock, dir, store, procs = [];
    before(async () => {
      dir = await h.tempDir();
      mock = await h.startMock();
      store = await h.freshStore(backend, dir);
      const m = await h.runCutover(['store', 'migrate', '--store', store.url]);
      assert.equal(m.code, 0, m.stderr);
    });
    after(async () => {
      await h.cleanup({ procs: [mock, ...procs], dirs: [dir] });
      await store.drop();
    });

    test('blue and green together admit exactly the limit', async () => {
      await apply(dir, store.url, stateFile(mock.port, { rpm: 7 }));
      const pair = await startPair(dir, store.url);
      procs.push(...pair);
      const statuses = [];
      for (let i = 0; i < 12; i++) for (const gw of pair) statuses.push((await chat(gw)).status);
      const admitted = statuses.filter((s) => s === 200).length;
      const limited = statuses.filter((s) => s === 429).length;
      // Exactly 7, unless the minute window turned during the burst (then at most 14).
      assert.ok(admitted >= 7 && admitted <= 14, `admitted ${admitted}: ${statuses}`);
      assert.equal(admitted + limited, 24, `unexpected statuses: ${statuses}`);
      const refused = await chat(pair[0]);
      if (refused.status === 429) {
        assert.ok(Number(refused.headers.get('retry-after')) >= 1);
        const body = await refused.json();
        assert.match(body.error.message, /7 requests per minute for API key 'shared' \(limits policy v\d+\)/);
      }
      // Every gateway started so far, also those a failed earlier test left running
      // (a live child keeps node, and so this file, from exiting).
      await h.cleanup({ procs });
      procs = [];
    });

    test('a change applied while both run is served by both within a second, same fingerprints', async () => {
      await apply(dir, store.url, stateFile(mock.port));
      const pair = await startPair(dir, store.url);
      procs.push(...pair);
      const t0 = Date.now();
      await apply(dir, store.url, stateFile(mock.port, { alias: 'chat-v2' }));
      const applied = Date.now();
      for (const gw of pair) {
        await h.until(async () => {
          const r = await h.get(`${gw.baseUrl}/models`, { headers: { authorization: `Bearer ${KEY}` } });
          const ids = (await r.json()).data.map((m) => m.id);
          return ids.includes('chat-v2') && !ids.includes('chat');
        }, { timeoutMs: 5000, what: `${gw.name} serving chat-v2` });
      }
      const seen = Date.now();
      assert.ok(seen - applied < 1000, `took ${seen - applied} ms after apply (${applied - t0} ms to apply)`);
      const states = await Promise.all(pair.map(async (gw) => (await (await h.get(`${gw.url}/readyz`)).json()).state));
      assert.deepEqual(states[0], states[1]);
      assert.ok(states[0].routes.sha256.length === 64);
      const admin = await Promise.all(pair.map(async (gw) => (await adminState(gw)).json()));
      assert.deepEqual(admin[0].domains, admin[1].domains);
      assert.deepEqual(admin.map((a) => a.color), ['blue', 'green']);
      assert.equal(admin[0].domains.routes.version, 2);
      assert.equal((await adminState(pair[0], 'wrong')).status, 401);
      // Every gateway started so far, also those a failed earlier test left running
      // (a live child keeps node, and so this file, from exiting).
      await h.cleanup({ procs });
      procs = [];
    });
  });
}

describe('a PostgreSQL outage while traffic flows', () => {
  let mock, dir, pgDir, url, gw;
  const pgScript = (cmd) => new Promise((resolve, reject) =>
    execFile(path.join(ROOT, 'scripts/postgres-test-server.sh'), [cmd, pgDir], { timeout: 60000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${stderr}`)) : resolve(stdout.trim().split('\n').pop()))));
  before(async () => {
    dir = await h.tempDir();
    pgDir = await h.tempDir('cutover-pg-');
    url = await pgScript('start');  // a server of its own: this test stops it
    mock = await h.startMock();
    const m = await h.runCutover(['store', 'migrate', '--store', url]);
    assert.equal(m.code, 0, m.stderr);
    await h.auditKeygen(url);
    await apply(dir, url, stateFile(mock.port));
    // What this tests is the state snapshot riding out the outage, so the audit log spools
    // (fail-open) instead of refusing; the fail-closed outage is in audit_load.test.mjs.
    gw = await h.startGateway({ listen: '127.0.0.1:0', audit: { on_failure: 'open', spool: path.join(dir, 'audit.spool') } },
      { dir, args: ['--store', url] });
  });
  after(async () => {
    await h.cleanup({ procs: [mock, gw].filter(Boolean), dirs: [dir] });
    await pgScript('stop').catch(() => {});
  });

  test('requests keep succeeding from the last snapshot; readyz says degraded, then recovers', async () => {
    assert.equal((await chat(gw)).status, 200);
    await pgScript('halt');
    let served = 0;
    for (let i = 0; i < 20; i++) {
      assert.equal((await chat(gw)).status, 200, 'a request failed while the store was down');
      served++;
      await h.sleep(50);
    }
    await h.until(async () => (await (await h.get(`${gw.url}/readyz`)).json()).status === 'degraded',
      { timeoutMs: 10000, what: 'readyz degraded' });
    const metrics = await h.scrape(gw);
    assert.ok(JSON.stringify(metrics).includes('cutover_store_degraded'), 'no store_degraded metric');
    await pgScript('resume');
    await h.until(async () => (await (await h.get(`${gw.url}/readyz`)).json()).status === 'ready',
      { timeoutMs: 15000, what: 'readyz ready again' });
    assert.equal((await chat(gw)).status, 200);
    assert.equal(served, 20);
    // The spooled entries reached the store: one unbroken chain.
    await h.until(async () => (await h.scrape(gw)).value('cutover_audit_spool_pending') === 0,
      { timeoutMs: 15000, what: 'audit spool appended' });
    const v = await h.runCutover(['audit', 'verify', '--store', url]);
    assert.equal(v.code, 0, `audit verify failed (exit ${v.code}, signal ${v.signal}):\n${v.stderr}${v.stdout}`);
  });
});
