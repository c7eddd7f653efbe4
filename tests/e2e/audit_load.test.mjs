// The audit log under load, across processes and failures: blue and green append to one
// chain with no gap (batch and entry signing), a gateway killed with SIGKILL loses no entry
// of a request that got its 200, and a PostgreSQL outage either refuses requests (fail
// closed, 503) or spools their entries and appends them in order once the store is back
// (fail open). Every load is bounded in count and time and talks only to 127.0.0.1.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as h from './harness.mjs';
import * as a from './audit_common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const okIds = (results) => results.filter((r) => r.status === 200).map((r) => r.id);
const statuses = (results) => results.reduce((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});

for (const backend of ['sqlite', 'postgres']) {
  describe(`the audit log under load on ${backend}`, { skip: backend === 'postgres' && h.postgresSkip }, () => {
    let dir, mock, store, procs = [];
    const test = (name, fn) => it(name, { timeout: 90000 }, h.withLogs(() => [...procs, mock], fn));
    const gateway = async (over = {}, args = []) => {
      const gw = await h.startGateway(h.gatewayConfig(over), { dir, args: ['--store', store.url, ...args] });
      procs.push(gw);
      return gw;
    };
    before(async () => {
      dir = await h.tempDir('cutover-audit-load-');
      mock = await h.startMock();
      store = await a.storeWithState(backend, dir, mock);
    });
    after(async () => {
      await h.cleanup({ procs: [...procs, mock], dirs: [dir] });
      await store?.drop();
    });

    test('blue and green: one chain, their entries interleaved, every 200 exactly once', async () => {
      const [blue, green] = [await gateway({}, ['--color', 'blue']), await gateway({}, ['--color', 'green'])];
      const results = await h.within(60000, a.load({
        total: 400, concurrency: 16, send: (i) => a.chat(i % 2 ? green : blue, { stream: i % 8 === 3 }) }), 'load');
      assert.deepEqual(statuses(results), { 200: 400 });
      await a.verifyOk(store.url, store.publicKey);
      const entries = (await a.assertEveryIdOnce(store.url, okIds(results))).filter((e) => e.entry.kind === 'request');
      const colors = entries.map((e) => e.entry.color);
      assert.equal(colors.filter((c) => c === 'blue').length, 200);
      assert.equal(colors.filter((c) => c === 'green').length, 200);
      const switches = colors.filter((c, i) => i > 0 && c !== colors[i - 1]).length;
      assert.ok(switches >= 2, `blue and green did not interleave (${switches} color changes)`);
      // `query --color` sees one environment, in seq order.
      const q = await a.cli(['audit', 'query', '--store', store.url, '--color', 'green', '--limit', '100000'], 'audit query');
      const greens = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.equal(greens.length, 200);
      assert.ok(greens.every((e, i) => e.entry.color === 'green' && (i === 0 || e.seq > greens[i - 1].seq)));
      await h.cleanup({ procs });
      procs = [];
    });

    test('entry mode: every entry carries its own signature, in the same chain', async () => {
      const earlier = (await a.exportLog(store.url)).entries.length;
      const gw = await gateway({ audit: { mode: 'entry' } });
      const results = await h.within(60000, a.load({ total: 100, concurrency: 8, send: () => a.chat(gw) }), 'load');
      assert.deepEqual(statuses(results), { 200: 100 });
      await a.verifyOk(store.url, store.publicKey);
      const added = (await a.assertEveryIdOnce(store.url, okIds(results))).slice(earlier);
      assert.equal(added.length, 100);
      for (const e of added) {
        assert.match(e.key_id, /^[0-9a-f]{16}$/, `seq ${e.seq}`);
        assert.match(e.signature, /^[A-Za-z0-9_-]{86}$/, `seq ${e.seq}`);
      }
      await h.cleanup({ procs });
      procs = [];
    });

    test('kill -9 mid-load: the chain verifies and every 200 has its entry; a new gateway continues it', async () => {
      const victim = await gateway();
      let served = 0;
      const results = await h.within(60000, a.load({
        total: 400, concurrency: 16, send: (i) => a.chat(victim, { stream: i % 4 === 1 }),
        onResult: (r) => { if (r.status === 200 && ++served === 100) victim.signal('SIGKILL'); },
      }), 'load');
      assert.equal((await victim.exited).signal, 'SIGKILL');
      const ok = okIds(results);
      assert.ok(ok.length >= 100 && ok.length < 400, `statuses ${JSON.stringify(statuses(results))}`);
      assert.ok(results.every((r) => r.status === 200 || r.status === 0 || r.status === -1),
        `unexpected statuses ${JSON.stringify(statuses(results))}`);
      await a.verifyOk(store.url, store.publicKey);
      await a.assertEveryIdOnce(store.url, ok);

      const next = await gateway();
      const resumed = await a.load({ total: 20, concurrency: 4, send: () => a.chat(next) });
      assert.deepEqual(statuses(resumed), { 200: 20 });
      await a.verifyOk(store.url, store.publicKey);
      await a.assertEveryIdOnce(store.url, [...ok, ...okIds(resumed)]);
      await h.cleanup({ procs });
      procs = [];
    });
  });
}

// A PostgreSQL server of this file's own, halted and resumed under load.
describe('a PostgreSQL outage under load', { skip: h.postgresSkip }, () => {
  let dir, pgDir, url, mock, publicKey, refusal, procs = [];
  const test = (name, fn) => it(name, { timeout: 90000 }, h.withLogs(() => [...procs, mock], fn));
  const pgScript = (cmd) => new Promise((resolve, reject) =>
    execFile(path.join(ROOT, 'scripts/postgres-test-server.sh'), [cmd, pgDir], { timeout: 60000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${stderr}`)) : resolve(stdout.trim().split('\n').pop()))));
  before(async () => {
    dir = await h.tempDir('cutover-audit-outage-');
    pgDir = await h.tempDir('cutover-pg-');
    url = await pgScript('start');
    mock = await h.startMock(['--itl-ms', '50']);  // streams last a second or two; completions do not wait
    publicKey = path.join(dir, 'audit.pub');
    await h.auditKeygen(url, { publicKeyOut: publicKey });
    await a.applyState(dir, url, a.stateYaml(mock.port));
  });
  after(async () => {
    await h.cleanup({ procs: [...procs, mock], dirs: [dir] });
    await pgScript('stop').catch(() => {});
  });

  // Steady load (4 at a time, at most `total`) until stop(); `seen` counts statuses as they
  // arrive so the test can wait for a phase to show, with a deadline.
  function steadyLoad(gw, total = 20000) {
    const seen = { ok: 0, refused: 0, other: 0 };
    let stopped = false;
    const running = a.load({
      total, concurrency: 4, stop: () => stopped, send: () => a.chat(gw, { timeoutMs: 10000 }),
      onResult: (r) => { seen[r.status === 200 ? 'ok' : r.status === 503 ? 'refused' : 'other']++; },
    });
    return { seen, stop: async () => { stopped = true; return running; } };
  }
  const atLeast = (seen, key, n, what) => h.until(() => seen[key] >= n, { timeoutMs: 20000, what });

  test('fail closed: 503s saying why while the store is down, then served again with no gap', async () => {
    const gw = await h.startGateway(h.gatewayConfig(), { dir, args: ['--store', url] });
    procs.push(gw);
    const load = steadyLoad(gw);
    let results;
    try {
      await atLeast(load.seen, 'ok', 20, '20 requests served');
      // A stream under way when the store goes down cannot end with [DONE]: its entry
      // cannot be made durable, so it ends with an error event saying so.
      const res = await h.postJson(`${gw.baseUrl}/chat/completions`, { ...a.chatBody(), stream: true },
        { headers: { authorization: `Bearer ${a.KEY}` } });
      assert.equal(res.status, 200);
      const events = await h.within(30000, h.readSse(res, {
        onEvent: async (_, all) => { if (all.length === 1) await pgScript('halt'); } }), 'the stream');
      assert.ok(events.length > 2, `${events.length} events`);
      assert.ok(!events.some((e) => e.data === '[DONE]'), 'a stream whose entry was not written ended with [DONE]');
      const last = JSON.parse(events[events.length - 1].data);
      assert.match(last.error?.message ?? '', /audit entry could not be written/, events[events.length - 1].data);
      await atLeast(load.seen, 'refused', 20, '20 requests refused while the store is down');
      const r = await a.chat(gw);
      assert.equal(r.status, 503, r.body);
      const { error } = JSON.parse(r.body);
      refusal = error.message;
      assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(error.type, 'server_error');
      assert.match(error.message, /^The request was not completed because its audit entry could not be written \(.+\)\. Retry shortly\.$/);
      assert.ok((await h.scrape(gw)).value('cutover_audit_unavailable_total') > 0);
      const okBefore = load.seen.ok;
      await pgScript('resume');
      await atLeast(load.seen, 'ok', okBefore + 20, '20 requests served after the store is back');
    } finally {
      await pgScript('resume').catch(() => {});  // already running: harmless failure
      results = await load.stop();
    }
    assert.deepEqual(Object.keys(statuses(results)).sort(), ['200', '503'], JSON.stringify(statuses(results)));
    await a.verifyOk(url, publicKey);
    await a.assertEveryIdOnce(url, okIds(results));
    await h.cleanup({ procs });
    procs = [];
  });

  // The 503 goes to any client, before authentication: the cause stays in the log.
  it('a refusal does not show clients where the store is', () => {
    assert.ok(refusal, 'the fail-closed test did not run');
    assert.doesNotMatch(refusal, /127\.0\.0\.1|postgres/);
  });

  test('fail open: served throughout, the spool appended in order once the store is back', async () => {
    const gw = await h.startGateway(h.gatewayConfig({ audit: { on_failure: 'open', spool: path.join(dir, 'audit.spool') } }),
      { dir, args: ['--store', url] });
    procs.push(gw);
    const load = steadyLoad(gw);
    const inOrder = [];  // requests sent one after the other during the outage
    let results;
    try {
      await atLeast(load.seen, 'ok', 20, '20 requests served');
      await pgScript('halt');
      for (let i = 0; i < 20; i++) {
        const r = await a.chat(gw);
        assert.equal(r.status, 200, `request ${i} during the outage: ${r.body}`);
        inOrder.push(r.id);
      }
      await h.until(async () => (await h.scrape(gw)).value('cutover_audit_spool_pending') > 0,
        { timeoutMs: 10000, what: 'entries spooled' });
      await pgScript('resume');
      await h.until(async () => (await h.scrape(gw)).value('cutover_audit_spool_pending') === 0,
        { timeoutMs: 20000, what: 'cutover_audit_spool_pending back to 0' });
      const okBefore = load.seen.ok;
      await atLeast(load.seen, 'ok', okBefore + 20, '20 more requests served');
    } finally {
      await pgScript('resume').catch(() => {});
      results = await load.stop();
    }
    assert.deepEqual(Object.keys(statuses(results)), ['200'], JSON.stringify(statuses(results)));
    const metrics = await h.scrape(gw);
    assert.ok(metrics.value('cutover_audit_spooled_total') >= 20);
    assert.equal(metrics.value('cutover_audit_unavailable_total'), 0);
    await a.verifyOk(url, publicKey);
    const entries = await a.assertEveryIdOnce(url, [...okIds(results), ...inOrder]);
    const seqOf = new Map(entries.map((e) => [e.entry.request_id, e.seq]));
    const seqs = inOrder.map((id) => seqOf.get(id));
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `spooled entries out of order: ${seqs}`);
    await h.cleanup({ procs });
    procs = [];
  });
});
