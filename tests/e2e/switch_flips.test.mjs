// The traffic switch moving traffic between blue and green: 50 flips and reverts under a
// bounded load of completions and streams lose nothing and send every request to the color
// of the plan in force when it was sent; the audit log holds both colors in one chain with
// no gap; `cutover traffic flip` returns only once every live switch serves the new plan,
// and names a frozen one when it does not. On SQLite and on PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';
import * as s from './switch_common.mjs';

const CHANGES = 50;          // flips and reverts during the load
const TARGET_RATE = 1000;    // requests/s asked of the load generator (it reports what it reached)
const MAX_LOAD_MS = 30000;   // the load stops after this, or once the changes are done
const CONCURRENCY = 64;      // requests in flight at most
const STREAM_EVERY = 8;      // one request in 8 is a stream
const ITL_MS = 15;           // mock-llm's delay between streamed tokens: a stream lasts ~0.4 s
const PROMPTS = 41;           // coprime with STREAM_EVERY: every prompt is asked both ways

for (const backend of ['sqlite', 'postgres']) {
  describe(`switch flips on ${backend}`, { skip: backend === 'postgres' && h.postgresSkip }, () => {
    let dir, mock, store, blue, green, procs = [];
    const test = (name, opts, fn) => it(name, { timeout: 180000, ...opts },
      h.withLogs(() => [...procs, blue, green, mock], fn));
    before(async () => {
      dir = await h.tempDir('cutover-switch-flips-');
      mock = await h.startMock(['--itl-ms', String(ITL_MS)], { env: s.ENV });
      store = await s.store(backend, dir);
      await s.applyState(dir, store.url, s.stateYaml(mock.port));
      [blue, green] = await Promise.all([s.gateway(dir, store.url, 'blue'), s.gateway(dir, store.url, 'green')]);
      await s.trafficOk(store.url, ['set', ...s.envArgs({ blue, green }), '--active', 'blue']);
    });
    after(async () => {
      await h.cleanup({ procs: [...procs, blue, green, mock], dirs: [dir] });
      await store?.drop();
    });

    test(`${CHANGES} flips and reverts under load: nothing lost, every request on the color of its plan`, {}, async (t) => {
      const sw = await s.startSwitch(store.url, { id: 'flips' });
      procs.push(sw);
      const c = s.client(sw);
      const first = /plan v(\d+): active ([a-z]+)/.exec((await s.cli(['traffic', 'show', '--store', store.url])).stdout);
      const colorOf = new Map([[Number(first[1]), first[2]]]);  // plan version -> active color
      await s.servesVersion(sw, Number(first[1]));
      const changes = [];  // {began, returned, version, active}
      let changing = true;
      const changer = (async () => {
        try {
          await h.sleep(1000);  // some load first
          for (let i = 0; i < CHANGES; i++) {
            const began = performance.now();
            const r = await s.trafficOk(store.url, [i % 2 ? 'revert' : 'flip']);
            changes.push({ began, returned: performance.now(), version: r.version, active: r.active, cmd: i % 2 ? 'revert' : 'flip' });
            colorOf.set(r.version, r.active);
            await h.sleep(350);
          }
        } finally {
          changing = false;
        }
      })();
      let endAt = Infinity;
      const load = await s.pacedLoad({
        rate: TARGET_RATE, total: (TARGET_RATE * MAX_LOAD_MS) / 1000, concurrency: CONCURRENCY,
        stop: () => {
          if (!changing && endAt === Infinity) endAt = performance.now() + 500;  // a tail after the last change
          return performance.now() > endAt;
        },
        send: async (i) => {
          const [prompt, stream] = [i % PROMPTS, i % STREAM_EVERY === 3];
          return { prompt, stream, ...(await s.chat(c, { prompt: `prompt ${prompt}: tell me about flips`, stream })) };
        },
      }).finally(() => { changing = false; });
      await changer;
      const { results } = load;
      const streams = results.filter((r) => r.stream);
      t.diagnostic(`${results.length} requests (${streams.length} streams) in ${(load.elapsedMs / 1000).toFixed(1)} s: ` +
        `${load.rate.toFixed(0)} requests/s (asked ${TARGET_RATE}); ${changes.length} plan changes`);
      assert.equal(changes.length, CHANGES);

      // 0 failed requests, 0 truncated streams.
      const failed = results.filter((r) => r.status !== 200);
      assert.deepEqual(failed.slice(0, 5), [], `${failed.length} failed requests; statuses ${JSON.stringify(s.statuses(results))}`);
      const cut = streams.filter((r) => !r.done || r.streamError);
      assert.deepEqual(cut.slice(0, 5), [], `${cut.length} streams without [DONE] or with an error event`);

      // A stream says what the completion says, whichever color served either.
      const byPrompt = new Map();
      for (const r of results) if (!r.stream && !byPrompt.has(r.prompt)) byPrompt.set(r.prompt, r.content);
      for (const r of results) {
        const want = byPrompt.get(r.prompt);
        assert.ok(want, `no completion for prompt ${r.prompt}`);
        assert.equal(r.content, want, `request ${r.id} (${r.stream ? 'stream' : 'completion'}, ${r.color}) differs`);
      }
      assert.equal(new Set(streams.map((r) => r.prompt)).size, PROMPTS, 'not every prompt was streamed');

      // Every response's color is the active color of the plan in force when it was sent
      // (its body written to the socket): a request sent after a change returned sees the new
      // plan, one sent before it began the old one; one sent while the command ran may see
      // either.
      const inForce = [{ at: -Infinity, version: Number(first[1]) }, ...changes.map((ch) => ({ at: ch.returned, version: ch.version }))];
      let ambiguous = 0, earliest = Infinity;  // earliest: the new plan seen soonest after a change began
      const crossed = new Set();
      for (const [i, r] of results.entries()) {
        assert.ok(r.wireAt >= r.sentAt && r.headAt >= r.wireAt, `request ${r.id}: no send time ${JSON.stringify(r)}`);
        const allowed = new Set();
        let k = inForce.length - 1;
        while (inForce[k].at >= r.wireAt) k--;
        allowed.add(inForce[k].version);
        const running = changes[k];  // the change after inForce[k], if it had begun
        if (running && running.began <= r.wireAt) {
          allowed.add(running.version);
          ambiguous++;
          if (r.version === running.version && r.version !== inForce[k].version) earliest = Math.min(earliest, r.wireAt - running.began);
        }
        assert.ok(allowed.has(r.version),
          `request ${i} (${r.id}) sent at ${r.wireAt.toFixed(1)} ms (called ${r.sentAt.toFixed(1)}, answer head at ` +
          `${r.headAt.toFixed(1)}) was served under plan v${r.version}, allowed ${[...allowed].map((v) => `v${v}`).join(' or ')}; ` +
          `changes around it: ${JSON.stringify(changes.slice(Math.max(0, k - 1), k + 2))}`);
        assert.equal(r.color, colorOf.get(r.version), `request ${i} (${r.id}): color ${r.color} under plan v${r.version}`);
        if (r.stream && changes.some((ch) => ch.began > r.headAt && ch.returned < r.doneAt)) crossed.add(i);
      }
      t.diagnostic(`${ambiguous} requests sent while a change ran; the new plan served at the soonest ` +
        `${earliest.toFixed(1)} ms after its command began; ${crossed.size} streams were in flight across a whole change`);
      assert.ok(crossed.size > 0, 'no stream was in flight across a change');
      const colors = new Set(changes.map((ch) => ch.active));
      assert.deepEqual([...colors].sort(), ['blue', 'green']);

      // The audit log: verifies, one chain 1..N, every answer exactly once with the color
      // that answered, both colors interleaved.
      await s.verifyOk(store);
      const entries = await s.exportEntries(store.url, dir);
      entries.forEach((e, i) => assert.equal(e.seq, i + 1, `entry ${i} has seq ${e.seq}`));
      const byId = new Map();
      for (const e of entries) {
        if (e.entry.kind !== 'request') continue;
        assert.ok(!byId.has(e.entry.request_id), `request ${e.entry.request_id} has two entries`);
        byId.set(e.entry.request_id, e.entry);
      }
      for (const r of results) {
        const e = byId.get(r.id);
        assert.ok(e, `request ${r.id} has no audit entry`);
        assert.equal(e.color, r.color, `request ${r.id}: audited color`);
      }
      const reqColors = entries.filter((e) => e.entry.kind === 'request').map((e) => e.entry.color);
      const turns = reqColors.filter((col, i) => i > 0 && col !== reqColors[i - 1]).length;
      assert.ok(turns >= 10, `only ${turns} color changes along the chain`);
      const controls = entries.filter((e) => e.entry.kind === 'control' && /^traffic\./.test(e.entry.decision));
      assert.equal(controls.length, CHANGES + 1, 'one control entry per traffic change (and the first set)');
      t.diagnostic(`${entries.length} audit entries, ${turns} color changes along the chain, ${controls.length} traffic control entries`);

      await h.cleanup({ procs });
      procs = [];
    });

    test('two switches: a flip returns only once both serve it; a frozen one is named and the flip exits 1', {}, async () => {
      const [a, b] = await Promise.all([s.startSwitch(store.url, { id: 'switch-a' }), s.startSwitch(store.url, { id: 'switch-b' })]);
      procs.push(a, b);
      const now = await s.cli(['traffic', 'show', '--store', store.url]);
      const v0 = Number(/plan v(\d+)/.exec(now.stdout)[1]);
      await Promise.all([s.servesVersion(a, v0), s.servesVersion(b, v0)]);
      // `traffic show` lists both, live.
      await h.until(async () => {
        const out = (await s.cli(['traffic', 'show', '--store', store.url])).stdout;
        return /switch switch-a \(127\.0\.0\.1:\d+\): serves v\d+\n/.test(out) && /switch switch-b \(127\.0\.0\.1:\d+\): serves v\d+\n/.test(out);
      }, { what: 'both switches in traffic show' });

      for (let i = 0; i < 5; i++) {
        const r = await s.trafficOk(store.url, [i % 2 ? 'revert' : 'flip']);
        assert.match(r.stdout, new RegExp(`traffic plan v${r.version} served by 2 switches after \\d+ ms`));
        const [ra, rb] = await Promise.all([s.readyz(a), s.readyz(b)]);
        assert.deepEqual([ra.plan_version, rb.plan_version], [r.version, r.version], `after ${i % 2 ? 'revert' : 'flip'} ${i}`);
        // And they route by it.
        const [ca, cb] = await Promise.all([s.chat(s.client(a)), s.chat(s.client(b))]);
        assert.deepEqual([ca.color, cb.color, ca.version, cb.version], [r.active, r.active, r.version, r.version]);
      }

      // Freeze b: the flip is stored, a serves it, the command waits 2 s and names b.
      const before = (await s.readyz(b)).plan_version;
      b.signal('SIGSTOP');
      let r;
      try {
        r = await s.traffic(store.url, ['flip', '--wait', '2']);
      } finally {
        b.signal('SIGCONT');
      }
      assert.equal(r.code, 1, `a flip with a frozen switch exited ${r.code}:\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`traffic plan v${r.version} is stored, but after 2 s these switches do not serve it yet: ` +
        `switch-b \\(127\\.0\\.0\\.1:${b.port}, serves v${before}\\)`));
      assert.doesNotMatch(r.stderr, /switch-a/);
      assert.equal((await s.readyz(a)).plan_version, r.version);
      // Thawed, b catches up by itself.
      await s.servesVersion(b, r.version);
      assert.equal((await s.chat(s.client(b))).color, r.active);
      await h.cleanup({ procs });
      procs = [];
    });

    test('a revert goes back to the plan in force before the last change', {}, async () => {
      const sw = await s.startSwitch(store.url, { id: 'revert' });
      procs.push(sw);
      try {
        const seen = [];
        for (const cmd of ['flip', 'revert', 'flip', 'revert']) {
          const before = (await s.chat(s.client(sw))).color;
          const r = await s.trafficOk(store.url, [cmd]);
          seen.push(`${cmd}: ${before} -> ${r.active} (v${r.version})`);
          assert.notEqual(r.active, before, `${cmd} did not change the color: ${seen.join('; ')}`);
          assert.equal((await s.chat(s.client(sw))).color, r.active);
        }
      } finally {
        await h.cleanup({ procs });
        procs = [];
      }
    });
  });
}
