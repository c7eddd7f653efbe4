// Shadow traffic: the switch mirrors requests to the color that does not serve and compares
// the answers. Identical gateways compare as equal (`cutover shadow report` and /metrics)
// and the copies are audited as kind shadow, not counted against the caller's rate limit;
// a green whose provider drifts (mock-llm --drift) compares as different, by kind; with one
// of two green gateways killed the copies go to the other one (as a primary would) and
// still compare as equal; a slow or dead green leaves every primary answer as it was, and
// primaries do not wait for the shadow. On SQLite and on PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';
import * as s from './switch_common.mjs';

const SLOW_MS = 1500;  // the slow shadow's provider latency
// One key per test (rate limits are per key); the limit is below twice the requests a test
// sends, so shadow copies counted against the caller would turn primaries or copies into 429s.
const RPM = 60;
const keys = Object.fromEntries(['equal', 'drift', 'spare', 'slow', 'dead'].map((k) => [k, { id: `mirror-${k}`, key: h.secret(`sk-${k}`) }]));
const state = (mock) => s.stateYaml(mock.port, { keys: Object.values(keys) }) +
  h.toYaml({ limits: { rate: [{ scope: 'key', rpm: RPM }] } });

for (const backend of ['sqlite', 'postgres']) {
  describe(`switch shadow traffic on ${backend}`, { skip: backend === 'postgres' && h.postgresSkip }, () => {
    let dir, mock, store, blue, green, sw, procs = [], stores = [];
    const all = () => [sw, blue, green, mock, ...procs];
    const test = (name, fn) => it(name, { timeout: 120000 }, h.withLogs(all, fn));
    before(async () => {
      dir = await h.tempDir('cutover-switch-shadow-');
      mock = await h.startMock(['--itl-ms', '5'], { env: s.ENV });
      store = await s.store(backend, dir);
      await s.applyState(dir, store.url, state(mock));
      [blue, green] = await Promise.all([s.gateway(dir, store.url, 'blue'), s.gateway(dir, store.url, 'green')]);
      await s.trafficOk(store.url, ['set', ...s.envArgs({ blue, green }), '--active', 'blue']);
      sw = await s.startSwitch(store.url, { id: 'shadow' });
    });
    after(async () => {
      await h.cleanup({ procs: all() });
      for (const st of [store, ...stores]) await st?.drop();
      await h.cleanup({ dirs: [dir] });
    });

    // A green environment of its own: a mock started with `mockArgs`, a store whose state
    // routes `chat` to it (same keys and limits), a green gateway on that store.
    async function otherGreen(mockArgs) {
      const m = await h.startMock(mockArgs, { env: s.ENV });
      procs.push(m);
      const st = await s.store(backend, dir);
      stores.push(st);
      await s.applyState(dir, st.url, state(m));
      const gw = await s.gateway(dir, st.url, 'green');
      procs.push(gw);
      return { mock: m, store: st, gw };
    }

    // `n` requests with `key` (every 4th streamed), `concurrency` at a time: all must be
    // 200 from blue (streams with [DONE]). Resolves the results.
    async function primaries(key, n, tag, { concurrency = 4, extra } = {}) {
      const c = s.client(sw, key.key);
      const { results } = await s.pacedLoad({
        rate: 1e9, total: n, concurrency,
        send: async (i) => ({ stream: i % 4 === 2, ...(await s.chat(c, { prompt: `${tag} ${i}`, stream: i % 4 === 2, extra })) }),
      });
      assert.deepEqual(s.statuses(results), { 200: n }, JSON.stringify(results.find((r) => r.status !== 200)));
      for (const r of results) {
        assert.equal(r.color, 'blue');
        if (r.stream) assert.ok(r.done && !r.streamError, `stream ${r.id} without [DONE]`);
      }
      return results;
    }

    // Waits until `shadow report --since since` counts n comparisons; resolves the report.
    const reported = (since, n) => h.until(async () => {
      const r = await s.shadowReport(store.url, ['--since', since]);
      return r.total >= n && r;
    }, { timeoutMs: 20000, what: `${n} shadow comparisons since ${since}` });

    test('identical gateways: equal in the report and /metrics; copies audited as shadow, not rate-limited', async () => {
      const v = (await s.trafficOk(store.url, ['set', '--mirror', 'green:1'])).version;
      await s.servesVersion(sw, v);
      const since = new Date().toISOString();
      const m0 = await s.metrics(sw);
      const n = 40;  // with their 40 copies, above the key's limit of RPM
      const results = await primaries(keys.equal, n, 'equal');
      const report = await reported(since, n);
      assert.equal(report.total, n, report.text);
      assert.deepEqual(report.outcomes, { equal: n, equivalent: 0, different: 0, error: 0 }, report.text);
      assert.deepEqual(report.kinds, {});
      const m1 = await s.metrics(sw);
      const d = (name, labels) => m1.value(name, labels) - m0.value(name, labels);
      assert.equal(d('cutover_switch_mirrored_total', { color: 'green' }), n);
      assert.equal(d('cutover_switch_shadow_comparisons_total', { outcome: 'equal' }), n);
      for (const outcome of ['equivalent', 'different', 'error'])
        assert.equal(d('cutover_switch_shadow_comparisons_total', { outcome }), 0, outcome);
      assert.equal(d('cutover_switch_shadow_differences_total'), 0);
      assert.equal(m1.value('cutover_switch_shadow_dropped_total'), 0);

      // The audit log: each request once as blue's request and once as green's shadow.
      await h.until(async () => {
        const q = await s.cli(['audit', 'query', '--store', store.url, '--color', 'green', '--limit', '100000'], 'audit query');
        return q.stdout.split('\n').filter(Boolean).length >= n;
      }, { what: `${n} shadow entries of green` });
      await s.verifyOk(store);
      const entries = (await s.exportEntries(store.url, dir)).map((e) => e.entry);
      for (const r of results) {
        const mine = entries.filter((e) => e.request_id === r.id);
        assert.deepEqual(mine.map((e) => [e.kind, e.color, e.shadow, e.http_status, e.subject]).sort(),
          [['request', 'blue', false, 200, 'mirror-equal'], ['shadow', 'green', true, 200, 'mirror-equal']], `request ${r.id}`);
      }
      const q = await s.cli(['audit', 'query', '--store', store.url, '--request-id', results[0].id], 'audit query');
      assert.deepEqual(q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).entry.kind).sort(), ['request', 'shadow']);
    });

    test('a drifted green compares as different, by kind; its copies are audited as shadow in its store', async () => {
      const other = await otherGreen(['--itl-ms', '5', '--drift', 'words,json']);
      const v = (await s.trafficOk(store.url, ['set', '--env', `green=${other.gw.url}`, '--mirror', 'green:1'])).version;
      await s.servesVersion(sw, v);
      const since = new Date().toISOString();
      const m0 = await s.metrics(sw);
      const words = await primaries(keys.drift, 20, 'drift');
      // JSON asked for: the drifted provider answers invalid JSON.
      const json = await primaries(keys.drift, 4, 'drift json',
        { extra: { response_format: { type: 'json_object' }, max_tokens: 1000 } });
      for (const r of json.filter((x) => !x.stream)) assert.doesNotThrow(() => JSON.parse(r.content), `primary ${r.id}: ${r.content}`);
      const n = words.length + json.length;
      const report = await reported(since, n);
      assert.equal(report.total, n, report.text);
      assert.deepEqual(report.outcomes, { equal: 0, equivalent: 0, different: n, error: 0 }, report.text);
      assert.equal(report.kinds['different content'], n, report.text);
      assert.equal(report.kinds['different structure'], json.length, `invalid JSON for JSON asked:\n${report.text}`);
      assert.ok(!report.kinds['different status'] && !report.kinds['different model'], report.text);
      assert.match(report.text, /sample different \[[a-z_,]*content[a-z_,]*\] request \S+: content: /);
      const m1 = await s.metrics(sw);
      const d = (name, labels) => m1.value(name, labels) - m0.value(name, labels);
      assert.equal(d('cutover_switch_shadow_comparisons_total', { outcome: 'different' }), n);
      assert.equal(d('cutover_switch_shadow_differences_total', { kind: 'content' }), n);
      assert.equal(d('cutover_switch_shadow_differences_total', { kind: 'structure' }), json.length);
      assert.equal(d('cutover_switch_shadow_differences_total', { kind: 'status' }), 0);
      // The copies are in the drifted green's own audit log, as shadow.
      await h.until(async () => {
        const q = await s.cli(['audit', 'query', '--store', other.store.url, '--color', 'green', '--limit', '1000'], 'audit query');
        const shadows = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).entry);
        return shadows.length >= n && shadows.every((e) => e.kind === 'shadow' && e.shadow === true);
      }, { what: `${n} shadow entries in the drifted green's store` });
      await s.verifyOk(other.store);
    });

    test('one of two green gateways killed: the copies reach the other one and compare as equal', async () => {
      const [green1, green2] = await Promise.all([s.gateway(dir, store.url, 'green'), s.gateway(dir, store.url, 'green')]);
      procs.push(green1, green2);
      const v = (await s.trafficOk(store.url, ['set', '--env', `green=${green1.url},${green2.url}`, '--mirror', 'green:1'])).version;
      await s.servesVersion(sw, v);
      // Both take copies first, so the switch holds pooled connections to green1 when it dies.
      let since = new Date().toISOString();
      const warm = await primaries(keys.spare, 12, 'spare warm');
      let report = await reported(since, warm.length);
      assert.deepEqual(report.outcomes, { equal: warm.length, equivalent: 0, different: 0, error: 0 }, report.text);
      const shadowsOf = (gw, results) => {
        const ids = new Set(results.map((r) => r.id));
        return gw.logs().filter((l) => l.msg === 'request' && ids.has(l.request_id)).length;
      };
      await h.until(() => shadowsOf(green1, warm) + shadowsOf(green2, warm) >= warm.length,
        { what: 'the warm-up copies in the green gateways\' logs' });
      assert.ok(shadowsOf(green1, warm) > 0, 'no warm-up copy reached green1');

      // Killed: its pooled connections are stale, connecting is refused. Right away, before
      // the prober notices, every copy must still reach green2 and compare as equal.
      green1.signal('SIGKILL');
      await green1.exited;
      since = new Date().toISOString();
      const after1 = await primaries(keys.spare, 20, 'spare killed');
      report = await reported(since, after1.length);
      assert.equal(report.total, after1.length, report.text);
      assert.deepEqual(report.outcomes, { equal: after1.length, equivalent: 0, different: 0, error: 0 }, report.text);
      await h.until(() => shadowsOf(green2, after1) >= after1.length,
        { what: `${after1.length} copies in green2's log` });
      assert.equal(shadowsOf(green2, after1), after1.length);

      await s.trafficOk(store.url, ['set', '--env', `green=${green.url}`, '--mirror', 'green:0']);
    });

    test(`a slow green (${SLOW_MS} ms) and a dead one: primaries all succeed and do not wait for the shadow`, async (t) => {
      const other = await otherGreen(['--latency-ms', String(SLOW_MS)]);
      const v = (await s.trafficOk(store.url, ['set', '--env', `green=${other.gw.url}`, '--mirror', 'green:1'])).version;
      await s.servesVersion(sw, v);
      let since = new Date().toISOString();
      const slow = await primaries(keys.slow, 16, 'slow', { concurrency: 2 });
      const longest = Math.max(...slow.map((r) => r.doneAt - r.sentAt));
      t.diagnostic(`primaries with a ${SLOW_MS} ms shadow: longest ${longest.toFixed(0)} ms`);
      assert.ok(longest < SLOW_MS, `a primary took ${longest.toFixed(0)} ms: it waited for its ${SLOW_MS} ms shadow`);
      const report = await reported(since, slow.length);
      assert.deepEqual(report.outcomes, { equal: slow.length, equivalent: 0, different: 0, error: 0 }, report.text);
      // Each shadow took at least SLOW_MS, each primary less than `longest`.
      const delta = Number(/mean latency delta \(shadow - primary\): (-?\d+) us/.exec(report.text)?.[1]);
      assert.ok(delta >= (SLOW_MS - longest) * 1000, `mean latency delta ${delta} us:\n${report.text}`);

      // Dead: the green gateway is gone. Every primary succeeds; the comparisons are errors.
      other.gw.signal('SIGKILL');
      await other.gw.exited;
      since = new Date().toISOString();
      const m0 = await s.metrics(sw);
      const dead = await primaries(keys.dead, 20, 'dead');
      const r2 = await reported(since, dead.length);
      assert.deepEqual(r2.outcomes, { equal: 0, equivalent: 0, different: 0, error: dead.length }, r2.text);
      assert.match(r2.text, /sample error \[\] request \S+: the shadow color did not answer/);
      const m1 = await s.metrics(sw);
      assert.equal(m1.value('cutover_switch_shadow_comparisons_total', { outcome: 'error' }) -
        m0.value('cutover_switch_shadow_comparisons_total', { outcome: 'error' }), dead.length);
      assert.equal(m1.value('cutover_switch_requests_total', { color: 'blue', class: '2xx' }) -
        m0.value('cutover_switch_requests_total', { color: 'blue', class: '2xx' }), dead.length);

      // Mirroring off again.
      await s.trafficOk(store.url, ['set', '--env', `green=${green.url}`, '--mirror', 'green:0']);
    });
  });
}
