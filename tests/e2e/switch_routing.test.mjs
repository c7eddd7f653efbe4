// Who goes where: a 5% canary over many callers (API keys in the store's identity domain)
// lands within statistical bounds, each caller keeps its color while the weight is
// unchanged, and raising the weight to 25% moves callers only from blue to green; cohort
// rules (header, tenant, subject, API key) route as written, first match first, before the
// canary. On SQLite and on PostgreSQL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as h from './harness.mjs';
import * as s from './switch_common.mjs';

const CALLERS = 2000;
const run = h.secret('r').slice(2, 10);  // so each run draws other callers
const callers = Array.from({ length: CALLERS }, (_, i) => ({ id: `caller-${run}-${i}`, key: h.secret(`sk-c${i}`) }));
const named = {
  beta: { id: 'beta-member', key: h.secret('sk-beta'), tenant: 'beta-tenant' },
  pinned: { id: 'pinned-caller', key: h.secret('sk-pinned') },
  byKey: { id: 'by-key', key: h.secret('sk-by-key'), tenant: 'acme' },
};
const sha256 = (t) => createHash('sha256').update(t).digest('hex');

// The share of CALLERS callers a canary of `bp` basis points serves: with sticky buckets
// from a 64-bit hash of each caller, the count is Binomial(CALLERS, bp/10000). The bound is
// 4.5 standard deviations either side (a correct switch fails it about once in 150,000 runs).
function bounds(bp) {
  const p = bp / 10000, mean = CALLERS * p, sd = Math.sqrt(CALLERS * p * (1 - p));
  return { mean, lo: Math.floor(mean - 4.5 * sd), hi: Math.ceil(mean + 4.5 * sd) };
}

for (const backend of ['sqlite', 'postgres']) {
  describe(`switch routing on ${backend}`, { skip: backend === 'postgres' && h.postgresSkip }, () => {
    let dir, mock, store, blue, green, sw;
    const test = (name, opts, fn = opts) => it(name, { timeout: 150000, ...(fn === opts ? {} : opts) },
      h.withLogs(() => [sw, blue, green, mock], fn));
    before(async () => {
      dir = await h.tempDir('cutover-switch-routing-');
      mock = await h.startMock([], { env: s.ENV });
      store = await s.store(backend, dir);
      await s.applyState(dir, store.url, s.stateYaml(mock.port, { keys: [...callers, ...Object.values(named)] }));
      [blue, green] = await Promise.all([s.gateway(dir, store.url, 'blue'), s.gateway(dir, store.url, 'green')]);
      await s.trafficOk(store.url, ['set', ...s.envArgs({ blue, green }), '--active', 'blue']);
      sw = await s.startSwitch(store.url, { id: 'routing' });
    });
    after(async () => {
      await h.cleanup({ procs: [sw, blue, green, mock], dirs: [dir] });
      await store?.drop();
    });

    // One completion per caller; resolves Map(caller id -> color), all 200 under `version`.
    async function colorsOfCallers(version, what) {
      const clients = callers.map((c) => s.client(sw, c.key));
      const { results } = await s.pacedLoad({
        rate: 1e9, total: CALLERS, concurrency: 32,
        send: async (i) => ({ caller: callers[i].id, ...(await s.chat(clients[i], { prompt: `who am I ${i % 7}` })) }),
      });
      assert.deepEqual(s.statuses(results), { 200: CALLERS }, what);
      assert.ok(results.every((r) => r.version === version), `${what}: not all under plan v${version}`);
      return new Map(results.map((r) => [r.caller, r.color]));
    }
    const greens = (m) => [...m.values()].filter((c) => c === 'green').length;

    test(`a 5% canary over ${CALLERS} callers: share within bounds, sticky; 25% moves callers only from blue to green`, async (t) => {
      const v5 = (await s.trafficOk(store.url, ['set', '--canary', 'green:500'])).version;
      await s.servesVersion(sw, v5);
      const before = await s.metrics(sw);
      const first = await colorsOfCallers(v5, 'round 1 at 5%');
      const b5 = bounds(500), g5 = greens(first);
      t.diagnostic(`5%: ${g5} of ${CALLERS} callers on green (expected ${b5.mean}, bound ${b5.lo}..${b5.hi})`);
      assert.ok(g5 >= b5.lo && g5 <= b5.hi, `${g5} green callers at 5%, outside ${b5.lo}..${b5.hi}`);
      assert.ok([...first.values()].every((c) => c === 'blue' || c === 'green'));
      // Counted per color by the switch.
      const after5 = await s.metrics(sw);
      const grew = (m, color) => m.value('cutover_switch_requests_total', { color, class: '2xx' }) -
        before.value('cutover_switch_requests_total', { color, class: '2xx' });
      assert.deepEqual([grew(after5, 'green'), grew(after5, 'blue')], [g5, CALLERS - g5]);

      // Same weight: every caller keeps its color, twice more.
      for (const round of [2, 3]) {
        const again = await colorsOfCallers(v5, `round ${round} at 5%`);
        const moved = callers.filter((c) => again.get(c.id) !== first.get(c.id)).map((c) => c.id);
        assert.deepEqual(moved, [], `round ${round}: callers changed color with the weight unchanged`);
      }

      // 25%: the 5% stay green, the others only move blue -> green.
      const v25 = (await s.trafficOk(store.url, ['set', '--canary', 'green:2500'])).version;
      const wider = await colorsOfCallers(v25, 'at 25%');
      const lost = callers.filter((c) => first.get(c.id) === 'green' && wider.get(c.id) !== 'green').map((c) => c.id);
      assert.deepEqual(lost, [], 'callers moved from green back to blue when the weight went up');
      const b25 = bounds(2500), g25 = greens(wider);
      t.diagnostic(`25%: ${g25} of ${CALLERS} callers on green (expected ${b25.mean}, bound ${b25.lo}..${b25.hi})`);
      assert.ok(g25 >= b25.lo && g25 <= b25.hi, `${g25} green callers at 25%, outside ${b25.lo}..${b25.hi}`);
      const again25 = await colorsOfCallers(v25, 'again at 25%');
      assert.deepEqual(callers.filter((c) => again25.get(c.id) !== wider.get(c.id)).map((c) => c.id), []);

      // Back to all blue for the next test.
      await s.trafficOk(store.url, ['set', '--active', 'blue']);
      assert.equal((await s.chat(s.client(sw, callers[0].key))).color, 'blue');
    });

    test('cohort rules route as written: header, tenant, subject, API key; first match wins, before the canary', async () => {
      const rules = ['header:x-cutover-cohort=beta->green', 'tenant:beta-tenant->green', 'subject:pinned-caller->green',
                     `key:${sha256(named.byKey.key)}->green`];
      const set = await s.trafficOk(store.url, ['set', '--active', 'blue', ...rules.flatMap((r) => ['--cohort', r])]);
      const shown = (await s.cli(['traffic', 'show', '--store', store.url])).stdout;
      for (const r of rules) assert.ok(shown.includes(`  cohort ${r}\n`), `traffic show lacks ${r}:\n${shown}`);
      await s.servesVersion(sw, set.version);
      const color = async (key, headers = {}, stream = false) => {
        const r = await s.chat(s.client(sw, key), { headers, stream });
        assert.equal(r.status, 200, JSON.stringify(r));
        assert.equal(r.version, set.version);
        return r.color;
      };
      const cases = [
        ['no rule matches', s.KEY, {}, 'blue'],
        ['header x-cutover-cohort: beta', s.KEY, { 'x-cutover-cohort': 'beta' }, 'green'],
        ['header name in another case', s.KEY, { 'X-Cutover-Cohort': 'beta' }, 'green'],
        ['header value compared exactly', s.KEY, { 'x-cutover-cohort': 'Beta' }, 'blue'],
        ['another header value', s.KEY, { 'x-cutover-cohort': 'alpha' }, 'blue'],
        ['tenant beta-tenant', named.beta.key, {}, 'green'],
        ['subject pinned-caller', named.pinned.key, {}, 'green'],
        ['the API key by its SHA-256', named.byKey.key, {}, 'green'],
        ['a caller of none of them', callers[1].key, {}, 'blue'],
      ];
      for (const [what, key, headers, want] of cases) {
        for (const stream of [false, true])
          for (let i = 0; i < 3; i++)
            assert.equal(await color(key, headers, stream), want, `${what}${stream ? ' (stream)' : ''}`);
      }

      // Rules come first, in order; then the canary; then the active color. Active green,
      // canary blue at 100%, tenant acme -> blue after the header rule: the suite's key
      // (tenant acme) is blue by its tenant, green with the header (the first rule).
      const next = await s.trafficOk(store.url, ['set', '--active', 'green', '--canary', 'blue:10000', '--cohort', 'tenant:acme->blue']);
      await s.servesVersion(sw, next.version);
      const ordered = async (key, headers) => (await s.chat(s.client(sw, key), { headers })).color;
      assert.equal(await ordered(s.KEY, {}), 'blue', 'tenant rule');
      assert.equal(await ordered(s.KEY, { 'x-cutover-cohort': 'beta' }), 'green', 'the first rule wins');
      assert.equal(await ordered(named.pinned.key, {}), 'green', 'subject rule before the canary');
      assert.equal(await ordered(callers[2].key, {}), 'blue', 'the canary at 100%');
      const noCanary = await s.trafficOk(store.url, ['set', '--canary', 'blue:0']);
      await s.servesVersion(sw, noCanary.version);
      assert.equal(await ordered(callers[2].key, {}), 'green', 'the active color');

      // A flip makes the candidate (blue) active; removing a rule sends its caller to the
      // active color.
      const flipped = await s.trafficOk(store.url, ['flip']);
      assert.equal(flipped.active, 'blue');
      const removed = await s.trafficOk(store.url, ['set', '--remove-cohort', 'subject:pinned-caller']);
      await s.servesVersion(sw, removed.version);
      assert.equal(await ordered(named.pinned.key, {}), 'blue');
      assert.equal(await ordered(named.beta.key, {}), 'green');
      for (const r of [...rules.slice(0, 2), rules[3], 'tenant:acme->blue'])
        await s.trafficOk(store.url, ['set', '--remove-cohort', r.slice(0, r.lastIndexOf('->'))]);
      assert.doesNotMatch((await s.cli(['traffic', 'show', '--store', store.url])).stdout, /cohort/);
    });

    test('a caller added to the identity domain is routed by its cohort without a plan change', async () => {
      const late = { id: `late-${run}`, key: h.secret('sk-late'), tenant: `late-tenant-${run}` };
      const set = await s.trafficOk(store.url, ['set', '--active', 'blue', '--cohort', `tenant:${late.tenant}->green`]);
      await s.servesVersion(sw, set.version);
      await s.applyState(dir, store.url, s.stateYaml(mock.port, { keys: [...callers, ...Object.values(named), late] }));
      // The gateways and the switch each pick the new key up from the store within a second
      // or so; until the switch has it, the key is nobody's and goes to the active color.
      let color;
      for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
        const r = await s.chat(s.client(sw, late.key), {});
        if (r.status === 200) {
          assert.equal(r.version, set.version, 'the plan did not change');
          color = r.color;
          if (color === 'green') break;
        }
        await h.sleep(200);
      }
      assert.equal(color, 'green', 'the new caller never reached its cohort');
      await s.trafficOk(store.url, ['set', '--remove-cohort', `tenant:${late.tenant}`]);
    });

    test('`traffic set --active C` promotes the canary color C (its help: "clears the canary")', async () => {
      await s.trafficOk(store.url, ['set', '--active', 'blue', '--canary', 'green:500']);
      try {
        const r = await s.traffic(store.url, ['set', '--active', 'green']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.active, 'green');
        assert.doesNotMatch(r.stdout, /canary/);
      } finally {
        await s.trafficOk(store.url, ['set', '--active', 'blue']);
      }
    });
  });
}
