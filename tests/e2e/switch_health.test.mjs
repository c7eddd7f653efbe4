// Health of the gateways behind a switch, two per color: a killed gateway of the serving
// color is ejected and requests keep succeeding on the other one; a gateway back on its
// port is probed back in; with every gateway of the serving color down the switch answers
// 503 naming the color and never sends traffic to the other color until the plan says so.
// On SQLite and on PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';
import * as s from './switch_common.mjs';

for (const backend of ['sqlite', 'postgres']) {
  describe(`switch health on ${backend}`, { skip: backend === 'postgres' && h.postgresSkip }, () => {
    let dir, mock, store, sw, gws = {}, extra = [];
    const all = () => [sw, ...Object.values(gws), ...extra, mock];
    const test = (name, opts, fn = opts) => it(name, { timeout: 120000, ...(fn === opts ? {} : opts) }, h.withLogs(all, fn));
    before(async () => {
      dir = await h.tempDir('cutover-switch-health-');
      mock = await h.startMock(['--itl-ms', '5'], { env: s.ENV });
      store = await s.store(backend, dir);
      await s.applyState(dir, store.url, s.stateYaml(mock.port));
      const [blue1, blue2, green1, green2] = await Promise.all(['blue', 'blue', 'green', 'green'].map((c) => s.gateway(dir, store.url, c)));
      gws = { blue1, blue2, green1, green2 };
      await s.trafficOk(store.url, ['set', ...s.envArgs({ blue: [blue1, blue2], green: [green1, green2] }), '--active', 'blue']);
      sw = await s.startSwitch(store.url, { id: 'health' });
    });
    after(async () => {
      await h.cleanup({ procs: all() });
      await h.cleanup({ dirs: [dir] });
      await store?.drop();
    });

    // n completions (one in 4 streamed), 8 at a time, through the switch.
    async function burst(n, tag, { via = sw, concurrency = 8 } = {}) {
      const c = s.client(via);
      const { results } = await s.pacedLoad({
        rate: 1e9, total: n, concurrency,
        send: (i) => s.chat(c, { prompt: `${tag} ${i}`, stream: i % 4 === 1 }),
      });
      return results;
    }
    // How many of these (answered) requests each gateway logged, once all are logged.
    const servedBy = async (results) => {
      const ids = new Set(results.map((r) => r.id));
      const count = () => {
        const out = {};
        for (const [name, gw] of Object.entries(gws))
          out[name] = gw.logs().filter((l) => l.msg === 'request' && ids.has(l.request_id)).length;
        return out;
      };
      await h.until(() => Object.values(count()).reduce((a, b) => a + b) >= ids.size,
        { what: `the access log lines of ${ids.size} requests` }).catch(() => {});
      return count();
    };
    const ok = (results, color, what) => {
      assert.deepEqual(s.statuses(results), { 200: results.length }, `${what}: ${JSON.stringify(results.find((r) => r.status !== 200))}`);
      assert.ok(results.every((r) => r.color === color), `${what}: not all ${color}`);
      assert.ok(results.filter((r) => r.done !== undefined).every((r) => r.done), `${what}: a stream without [DONE]`);
    };
    // The switch's log line `msg` about gw, logged after its first `from` log lines.
    const logged = (msg, gw, from) => h.until(() => sw.logs().slice(from).some((l) => l.msg === msg && l.endpoint === gw.url),
      { timeoutMs: 10000, what: `"${msg}" for ${gw.url}` });

    test('a killed blue gateway: ejected, requests succeed on the other blue one; back on its port, probed back in', async (t) => {
      const first = await burst(40, 'both');
      ok(first, 'blue', 'both blue up');
      const by = await servedBy(first);
      assert.ok(by.blue1 > 0 && by.blue2 > 0 && by.blue1 + by.blue2 === 40 && by.green1 + by.green2 === 0, JSON.stringify(by));

      gws.blue1.signal('SIGKILL');
      await gws.blue1.exited;
      // Right away (its pooled connections are dead, connecting is refused): whatever fails
      // is a 503 of blue, never green (the test below asserts that none does). A refused
      // connection ejects the endpoint at once; the prober (every 500 ms) would too; this
      // burst makes sure: 40 requests, each starting at a random one of the two blue
      // endpoints.
      const during = await burst(40, 'killed');
      const early = during.filter((r) => r.status !== 200);
      t.diagnostic(`right after the kill: ${JSON.stringify(s.statuses(during))}`);
      assert.ok(during.every((r) => r.color === 'blue'));
      assert.ok(early.every((r) => r.status === 503 && /No gateway of the 'blue' environment/.test(r.message)), JSON.stringify(early));
      // Ejected: every request succeeds on blue2.
      const afterEjection = await burst(40, 'ejected');
      ok(afterEjection, 'blue', 'blue1 ejected');
      assert.deepEqual(await servedBy(afterEjection), { blue1: 0, blue2: 40, green1: 0, green2: 0 });

      // A gateway on blue1's port again: healthy again and serving.
      const port = gws.blue1.port;
      const mark2 = sw.logs().length;
      gws.blue1 = await s.gateway(dir, store.url, 'blue', { over: { listen: `127.0.0.1:${port}` } });
      await logged('endpoint healthy again', gws.blue1, mark2);
      // Failures, if any, must be 503s of blue, and within a few bursts one is all 200,
      // both blue serving.
      let back, bursts = 0;
      do {
        back = await burst(40, `back ${bursts}`);
        assert.ok(back.every((r) => r.color === 'blue' && (r.status === 200 || r.status === 503)), JSON.stringify(s.statuses(back)));
        t.diagnostic(`back on its port, burst ${bursts}: ${JSON.stringify(s.statuses(back))}`);
      } while (back.some((r) => r.status !== 200) && ++bursts < 5);
      ok(back, 'blue', 'blue1 back');
      const byBack = await servedBy(back);
      assert.ok(byBack.blue1 > 0 && byBack.blue2 > 0, JSON.stringify(byBack));
    });

    test('every blue gateway down: 503 naming blue, nothing moves to green; a flip moves it', async () => {
      const before = await s.metrics(sw);
      const greenSeen = gws.green1.lines.length + gws.green2.lines.length;
      await Promise.all([gws.blue1, gws.blue2].map((g) => { g.signal('SIGKILL'); return g.exited; }));
      const check = (results, what) => {
        for (const r of results) {
          assert.equal(r.status, 503, `${what}: ${JSON.stringify(r)}`);
          assert.equal(r.color, 'blue', what);
          assert.match(r.message, /No gateway of the 'blue' environment \(plan v\d+\) could take the request/, what);
          assert.match(r.message, /does not move traffic to another color unless the plan says so/, what);
          assert.equal(r.error?.code, 'unavailable', `${what}: ${JSON.stringify(r.error)}`);
        }
      };
      check(await burst(20, 'down'), 'right after the kill');  // which also ejects both
      const down = await burst(40, 'down-ejected');
      check(down, 'both ejected');
      const after = await s.metrics(sw);
      const d = (name, labels) => after.value(name, labels) - before.value(name, labels);
      assert.equal(d('cutover_switch_no_endpoint_total', { color: 'blue' }), 60);
      assert.equal(d('cutover_switch_requests_total', { color: 'blue', class: '5xx' }), 60);
      assert.equal(d('cutover_switch_requests_total', { color: 'green' }), 0);
      assert.equal(gws.green1.lines.length + gws.green2.lines.length, greenSeen, 'a green gateway was asked');

      // The plan moves traffic: after a flip, green serves.
      const flip = await s.trafficOk(store.url, ['flip']);
      assert.equal(flip.active, 'green');
      const moved = await burst(40, 'flipped');
      ok(moved, 'green', 'after the flip');
      const by = await servedBy(moved);
      assert.ok(by.green1 > 0 && by.green2 > 0, JSON.stringify(by));
    });

    test('right after a gateway of the serving color dies, requests succeed on the other one of that color', async () => {
      // One worker thread, so that its pool holds several idle connections to each green
      // gateway; then one request at a time.
      const one = await s.startSwitch(store.url, { id: 'one-thread', threads: 1 });
      extra.push(one);
      const warm = await burst(40, 'warm', { via: one });
      ok(warm, 'green', 'both green up');
      gws.green1.signal('SIGKILL');
      await gws.green1.exited;
      const right = await burst(20, 'green1 killed', { via: one, concurrency: 1 });
      ok(right, 'green', 'right after green1 died');
    });
  });
}
