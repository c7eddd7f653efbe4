// https:// gateways behind a switch: two blue gateways with TLS listeners (a CA made with
// the openssl CLI at test time, h.makeCerts), the switch verifying them against its trust
// store (SSL_CERT_FILE names the test CA). Completions and streams reach both; a host name
// the certificate does not carry, and a switch that does not trust the CA, get a 503 naming
// the certificate problem. On SQLite.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';
import * as s from './switch_common.mjs';

describe('switch to https gateways', () => {
  let dir, mock, store, certs, sw, gws = {}, extra = [];
  const all = () => [sw, ...Object.values(gws), ...extra, mock];
  const test = (name, fn) => it(name, { timeout: 120000 }, h.withLogs(all, fn));
  before(async () => {
    dir = await h.tempDir('cutover-switch-tls-');
    certs = await h.makeCerts(dir);
    mock = await h.startMock(['--itl-ms', '5'], { env: s.ENV });
    store = await s.store('sqlite', dir);
    await s.applyState(dir, store.url, s.stateYaml(mock.port));
    const tls = { tls: { cert_file: certs.cert, key_file: certs.key } };
    const [blue1, blue2] = await Promise.all([1, 2].map(() => s.gateway(dir, store.url, 'blue', { over: tls })));
    gws = { blue1, blue2 };
    // green: blue1 again under a name its certificate (IP 127.0.0.1 only) does not carry;
    // requests with x-e2e-name: wrong go there.
    await s.trafficOk(store.url, ['set', ...s.envArgs({ blue: [blue1, blue2] }),
      '--env', `green=https://localhost:${blue1.port}`, '--active', 'blue',
      '--cohort', 'header:x-e2e-name=wrong->green']);
    sw = await s.startSwitch(store.url, { id: 'tls', env: { SSL_CERT_FILE: certs.ca } });
  });
  after(async () => {
    await h.cleanup({ procs: all() });
    await h.cleanup({ dirs: [dir] });
  });

  test('completions and streams reach both https gateways, verified against the test CA', async () => {
    assert.ok(Object.values(gws).every((g) => g.url.startsWith('https://127.0.0.1:')));
    const c = s.client(sw);
    const { results } = await s.pacedLoad({
      rate: 1e9, total: 40, concurrency: 8,
      send: (i) => s.chat(c, { prompt: `tls ${i}`, stream: i % 4 === 1 }),
    });
    assert.deepEqual(s.statuses(results), { 200: 40 }, JSON.stringify(results.find((r) => r.status !== 200)));
    assert.ok(results.every((r) => r.color === 'blue'));
    assert.ok(results.filter((r) => r.done !== undefined).every((r) => r.done), 'a stream without [DONE]');
    // Each request starts at a random blue endpoint: both serve.
    const ids = new Set(results.map((r) => r.id));
    const served = (gw) => gw.logs().filter((l) => l.msg === 'request' && ids.has(l.request_id)).length;
    await h.until(() => served(gws.blue1) + served(gws.blue2) === 40, { what: 'the access log lines of 40 requests' });
    assert.ok(served(gws.blue1) > 0 && served(gws.blue2) > 0, `blue1 ${served(gws.blue1)}, blue2 ${served(gws.blue2)}`);
  });

  test('a name the certificate does not carry, or a CA the switch does not trust: 503 naming the certificate', async () => {
    const wrongName = await s.chat(s.client(sw), { prompt: 'wrong name', headers: { 'x-e2e-name': 'wrong' } });
    assert.equal(wrongName.status, 503, JSON.stringify(wrongName));
    assert.equal(wrongName.color, 'green');
    assert.match(wrongName.message, /No gateway of the 'green' environment .*certificate: hostname mismatch/);

    const untrusting = await s.startSwitch(store.url, { id: 'tls-system-store' });
    extra.push(untrusting);
    const r = await s.chat(s.client(untrusting), { prompt: 'untrusted' });
    assert.equal(r.status, 503, JSON.stringify(r));
    assert.equal(r.color, 'blue');
    assert.match(r.message, /No gateway of the 'blue' environment .*TLS handshake failed: .*certificate/);
  });
});
