// The gateway as an HTTP server facing untrusted clients: limits, timeouts, malformed
// input, connection caps, correlation ids, operational endpoints, metrics, logs, and
// start-up failures (bad config, bad flags). Raw sockets where fetch would hide the bytes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as h from './harness.mjs';

const KEY = h.secret('sk-e2e-limits');
const ENV_KEY = h.secret('sk-e2e-envkey');
const PROVIDER_KEY = h.secret('sk-e2e-provider-env');
const LIMITS = { max_body_bytes: 1024, max_header_bytes: 4096, header_timeout_ms: 300, body_timeout_ms: 500 };

let dir, mock, gw, capped;
const procs = () => [gw, capped, mock];
const test = (name, fn, opts = {}) => it(name, { timeout: 30000, ...opts }, h.withLogs(procs, fn));
const auth = { authorization: `Bearer ${KEY}` };
const chat = (content, extra = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });

function config(mockBaseUrl, over = {}) {
  return h.gatewayConfig({
    limits: LIMITS,
    api_keys: [
      { id: 'e2e', key: KEY, models: ['*'] },
      { id: 'from-env', key_env: 'E2E_CLIENT_KEY', models: ['*'] },
    ],
    providers: [{ name: 'mock', base_url: mockBaseUrl, api_key_env: 'E2E_PROVIDER_KEY' }],
    routes: [
      { alias: 'gpt-4o-mini', targets: [{ provider: 'mock', model: 'mock-fast' }] },
      { alias: 'other', targets: [{ provider: 'mock', model: 'mock-smart' }] },
    ],
    ...over,
  });
}
const secretEnv = { E2E_CLIENT_KEY: ENV_KEY, E2E_PROVIDER_KEY: PROVIDER_KEY };

before(async () => {
  dir = await h.tempDir();
  mock = await h.startMock();
  gw = await h.startGateway(config(mock.baseUrl), { dir, env: secretEnv });
});
after(() => h.cleanup({ procs: [gw, capped, mock], dirs: [dir] }));

const request = (method, target, headers = {}, body = '') => {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
};

function assertOpenAiError(text, code) {
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 0);
  return body;
}

describe('request limits', () => {
  test('headers over max_header_bytes get 431; headers under it are served', async () => {
    const ok = await h.rawExchange(gw.port,
      request('GET', '/healthz', { 'X-Padding': 'a'.repeat(3000), Connection: 'close' }));
    assert.equal(ok.response?.status, 200, `under the limit: ${ok.data.slice(0, 200)}`);

    const r = await h.rawExchange(gw.port, request('GET', '/healthz', { 'X-Padding': 'a'.repeat(6000) }));
    assert.equal(r.response?.status, 431, `got ${JSON.stringify(r.data.slice(0, 200))}`);
    assertOpenAiError(r.response.body, 'headers_too_large');
    assert.ok(r.closed, 'the connection is closed after a 431');
  });

  test('a body over max_body_bytes gets 413; a body under it is served', async () => {
    const small = JSON.stringify(chat('small enough'));
    assert.ok(Buffer.byteLength(small) < LIMITS.max_body_bytes);
    const ok = await h.postJson(`${gw.baseUrl}/chat/completions`, small, { headers: auth });
    assert.equal(ok.status, 200);

    const big = JSON.stringify(chat('x'.repeat(2000)));
    const r = await h.rawExchange(gw.port, request('POST', '/v1/chat/completions',
      { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' }, big));
    assert.equal(r.response?.status, 413, `got ${JSON.stringify(r.data.slice(0, 200))}`);
    assertOpenAiError(r.response.body, 'request_too_large');
    assert.equal(r.response.headers['x-cutover-color'], 'blue');
  });

  // Sends the start of a request and stalls; resolves what the server sent before closing.
  async function stall(bytes) {
    const slow = await h.connect(gw.port);
    const result = h.collect(slow, { timeoutMs: 10000 });
    slow.write(bytes);
    return { slow, result };
  }
  const HALF_HEADER = 'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl';
  const HALF_BODY = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\n` +
                    'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"model":';

  test('a client that stalls mid-header is cut off after header_timeout_ms; others are served meanwhile', async () => {
    const { slow, result } = await stall(HALF_HEADER);
    // While it stalls, other clients get answers.
    for (let i = 0; i < 3; i++) {
      const res = await h.postJson(`${gw.baseUrl}/chat/completions`, chat(`meanwhile ${i}`), { headers: auth });
      assert.equal(res.status, 200);
      assert.equal((await h.get(`${gw.url}/healthz`)).status, 200);
    }
    const r = await result;
    slow.destroy();
    assert.ok(r.closed, `the stalled connection was not closed within 10 s (received ${JSON.stringify(r.data)})`);
    assert.ok(r.elapsedMs >= LIMITS.header_timeout_ms - 50, `closed after ${r.elapsedMs.toFixed(0)} ms`);
    assert.ok(r.elapsedMs < 5000, `closed after ${r.elapsedMs.toFixed(0)} ms`);
    assert.ok(r.data === '' || r.data.startsWith('HTTP/1.1 408 '), `unexpected answer ${JSON.stringify(r.data.slice(0, 200))}`);
  });

  test('a client that stalls mid-body is cut off after body_timeout_ms', async () => {
    const { slow, result } = await stall(HALF_BODY);
    const r = await result;
    slow.destroy();
    assert.ok(r.closed);
    assert.ok(r.elapsedMs >= LIMITS.body_timeout_ms - 50 && r.elapsedMs < 5000, `after ${r.elapsedMs.toFixed(0)} ms`);
    assert.ok(r.data === '' || r.data.startsWith('HTTP/1.1 408 '), `unexpected answer ${JSON.stringify(r.data.slice(0, 200))}`);
  });

  test('a stalled request is answered with the documented 408 before the connection closes', async () => {
    // examples/gateway.yaml: "header_timeout_ms: first byte to end of headers, else 408",
    // and server.cpp maps the timeout to ErrorCode::kRequestTimeout (408) for the client.
    for (const [what, bytes] of [['mid-header', HALF_HEADER], ['mid-body', HALF_BODY]]) {
      const { slow, result } = await stall(bytes);
      const r = await result;
      slow.destroy();
      assert.match(r.data, /^HTTP\/1\.1 408 /,
        `${what}: the connection was closed after ${r.elapsedMs.toFixed(0)} ms with ${JSON.stringify(r.data.slice(0, 100))} instead of a 408`);
      assertOpenAiError(h.parseHttpResponse(r.data).body, 'request_timeout');
    }
  });

  test('Expect: 100-continue gets a 100 before the body is sent', async () => {
    const body = JSON.stringify(chat('continue'));
    const sock = await h.connect(gw.port);
    try {
      let got = '';
      sock.setEncoding('latin1');
      sock.on('data', (d) => { got += d; });
      sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\n` +
                 `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
      await h.until(() => got.includes('\r\n\r\n'), { timeoutMs: 3000, what: '100 Continue' });
      assert.match(got, /^HTTP\/1\.1 100 /);
      assert.ok(!got.includes('HTTP/1.1 200'), 'no final answer before the body');
      sock.removeAllListeners('data');
      const res = h.readResponse(sock);
      sock.write(body);
      assert.equal((await res).status, 200);
    } finally {
      sock.destroy();
    }
  });

  test('a chunked request body is accepted; over max_body_bytes it gets 413', async () => {
    const chunked = (text, size) => {
      let out = '';
      for (let i = 0; i < text.length; i += size) {
        const part = text.slice(i, i + size);
        out += `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;
      }
      return `${out}0\r\n\r\n`;
    };
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\n` +
                 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
    const ok = await h.rawExchange(gw.port, head + chunked(JSON.stringify(chat('in pieces')), 16));
    assert.equal(ok.response?.status, 200, ok.data.slice(0, 200));
    const big = await h.rawExchange(gw.port, head + chunked(JSON.stringify(chat('y'.repeat(1500))), 500));
    assert.equal(big.response?.status, 413, big.data.slice(0, 200));
  });

  test('malformed HTTP gets 400', async () => {
    for (const bytes of ['THIS IS NOT HTTP\r\n\r\n', 'GET /healthz HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n']) {
      const r = await h.rawExchange(gw.port, bytes);
      assert.equal(r.response?.status, 400, `${JSON.stringify(bytes)} -> ${JSON.stringify(r.data.slice(0, 200))}`);
      assertOpenAiError(r.response.body, 'invalid_request');
      assert.ok(r.closed);
    }
    // The server is still fine afterwards.
    assert.equal((await h.get(`${gw.url}/healthz`)).status, 200);
  });

  test('a wrong method gets 405 and an unknown path 404, OpenAI-shaped', async () => {
    const m = await h.get(`${gw.baseUrl}/chat/completions`, { headers: auth });
    assert.equal(m.status, 405);
    assertOpenAiError(await m.text(), 'method_not_allowed');
    const p = await fetch(`${gw.url}/healthz`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    assert.equal(p.status, 405);
    const n = await h.get(`${gw.url}/v2/nothing-here`, { headers: auth });
    assert.equal(n.status, 404);
    const body = assertOpenAiError(await n.text(), 'not_found');
    assert.match(body.error.message, /\/v2\/nothing-here/);
  });
});

describe('connection cap', () => {
  test('beyond max_connections new connections are refused while existing ones keep working', async () => {
    capped = await h.startGateway(config(mock.baseUrl, { workers: 1, limits: { ...LIMITS, header_timeout_ms: 5000, max_connections: 5 } }),
      { dir, env: secretEnv });
    const socks = [];
    try {
      // Fill the cap with keep-alive connections, each proven accepted by an answer.
      for (let i = 0; i < 5; i++) {
        const s = await h.connect(capped.port);
        socks.push(s);
        s.write(request('GET', '/healthz'));
        const r = await h.readResponse(s);
        assert.equal(r.status, 200, `connection ${i}`);
      }
      // The 6th is closed without an answer.
      const extra = await h.connect(capped.port).catch((e) => e);
      if (!(extra instanceof Error)) {
        const done = h.collect(extra, { timeoutMs: 5000 });
        extra.write(request('GET', '/healthz'));
        const r = await done;
        extra.destroy();
        assert.ok(r.closed, 'the connection over the cap must be closed');
        assert.equal(r.data, '', `the connection over the cap got an answer: ${JSON.stringify(r.data.slice(0, 100))}`);
      }
      // The five still work.
      for (const [i, s] of socks.entries()) {
        s.write(request('GET', '/readyz'));
        const r = await h.readResponse(s);
        assert.equal(r.status, 200, `existing connection ${i}`);
      }
      // Closing one frees a slot.
      socks.pop().destroy();
      await h.until(async () => {
        const r = await h.rawExchange(capped.port, request('GET', '/healthz', { Connection: 'close' }), { timeoutMs: 2000 });
        return r.response?.status === 200;
      }, { timeoutMs: 5000, what: 'a new connection to be served after one closed' });
    } finally {
      for (const s of socks) s.destroy();
      await capped.stop();
    }
  });
});

describe('stream cap and color', () => {
  test('beyond limits.max_streams a stream gets 503 with Retry-After; --color overrides the file', async () => {
    const slowMock = await h.startMock(['--itl-ms', '50']);
    const g = await h.startGateway(h.gatewayConfig({
      color: 'blue',
      limits: { max_streams: 1 },
      api_keys: [{ id: 'e2e', key: KEY }],
      providers: [{ name: 'mock', base_url: slowMock.baseUrl }],
      routes: [{ alias: 'echo', targets: [{ provider: 'mock', model: 'echo' }] }],
    }), { dir, args: ['--color', 'green'] });
    try {
      const prompt = Array.from({ length: 30 }, (_, i) => `t${i}`).join(' ');
      const req = (stream) => h.postJson(`${g.baseUrl}/chat/completions`,
        { model: 'echo', messages: [{ role: 'user', content: stream ? prompt : 'short' }], stream },
        { headers: auth });
      const first = await req(true);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-cutover-color'), 'green');
      const reading = h.readSse(first);

      const second = await req(true);
      assert.equal(second.status, 503);
      assert.equal(second.headers.get('retry-after'), '1');
      assertOpenAiError(await second.text(), 'overloaded');
      const plain = await req(false);
      assert.equal(plain.status, 200, 'non-streamed requests are not limited by max_streams');

      const events = await reading;
      assert.equal(events.at(-1).data, '[DONE]');
      await h.requestDone(g, first.headers.get('x-request-id'));
      const third = await req(true);
      assert.equal(third.status, 200, 'the slot is free again once the stream ended');
      await h.readSse(third);

      const m = await h.scrape(g);
      assert.equal(m.value('cutover_requests_total', { route: 'echo', status: '503', color: 'green' }), 1);
      assert.equal(m.value('cutover_requests_total', { color: 'blue' }), 0);
    } finally {
      await h.cleanup({ procs: [g, slowMock] });
    }
  });
});

describe('correlation', () => {
  test('a valid x-request-id is echoed; an invalid one is replaced', async () => {
    const mine = 'e2e-req_1.2:3';
    const a = await h.postJson(`${gw.baseUrl}/chat/completions`, chat('ids'), { headers: { ...auth, 'x-request-id': mine } });
    assert.equal(a.status, 200);
    assert.equal(a.headers.get('x-request-id'), mine);
    // Errors carry it too.
    const e = await h.postJson(`${gw.baseUrl}/chat/completions`, chat('ids'), { headers: { 'x-request-id': mine } });
    assert.equal(e.status, 401);
    assert.equal(e.headers.get('x-request-id'), mine);

    for (const bad of ['has spaces in it', 'x'.repeat(200), 'semi;colon']) {
      const b = await h.postJson(`${gw.baseUrl}/chat/completions`, chat('ids'), { headers: { ...auth, 'x-request-id': bad } });
      assert.equal(b.status, 200);
      assert.match(b.headers.get('x-request-id'), /^[0-9a-f]{32}$/, `'${bad}' must be replaced`);
    }
    const logged = await gw.waitForLog((l) => l.msg === 'request' && l.request_id === mine, 5000, 'access log line');
    assert.equal(logged.status, 200);
    assert.equal(logged.model, 'gpt-4o-mini');
  });

  test('the trace id of an incoming traceparent is kept (access log trace_id)', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const rid = `trace-${Date.now()}`;
    const res = await h.postJson(`${gw.baseUrl}/chat/completions`, chat('trace me'), {
      headers: { ...auth, 'x-request-id': rid, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    assert.equal(res.status, 200);
    const line = await gw.waitForLog((l) => l.msg === 'request' && l.request_id === rid, 5000, 'access log line');
    assert.equal(line.trace_id, traceId);

    // Without (or with a broken) traceparent, a new trace is started.
    const rid2 = `trace2-${Date.now()}`;
    await h.postJson(`${gw.baseUrl}/chat/completions`, chat('no trace'), {
      headers: { ...auth, 'x-request-id': rid2, traceparent: '00-not-a-trace' },
    });
    const line2 = await gw.waitForLog((l) => l.msg === 'request' && l.request_id === rid2, 5000, 'access log line');
    assert.match(line2.trace_id, /^[0-9a-f]{32}$/);
    assert.notEqual(line2.trace_id, traceId);
  });
});

describe('operational endpoints', () => {
  test('/healthz and /readyz answer 200', async () => {
    const hz = await h.get(`${gw.url}/healthz`);
    assert.equal(hz.status, 200);
    assert.equal((await hz.text()).trim(), 'ok');
    const rz = await h.get(`${gw.url}/readyz`);
    assert.equal(rz.status, 200);
    assert.deepEqual(await rz.json(), { status: 'ready' });
  });

  test('/metrics counts requests by route, status and color, with latency histograms and tokens', async () => {
    const res0 = await h.get(`${gw.url}/metrics`);
    assert.equal(res0.status, 200);
    assert.match(res0.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const before = h.parseMetrics(await res0.text());

    const ok = await h.postJson(`${gw.baseUrl}/chat/completions`, chat('count me'), { headers: auth });
    const usage = (await ok.json()).usage;
    const unknown = await h.postJson(`${gw.baseUrl}/chat/completions`, { ...chat('x'), model: 'nope' }, { headers: auth });
    assert.equal(unknown.status, 404);
    // A stream, for the time-to-first-token histogram.
    const st = await h.postJson(`${gw.baseUrl}/chat/completions`, chat('stream me', { stream: true }), { headers: auth });
    const events = await h.readSse(st);
    assert.equal(events.at(-1).data, '[DONE]');

    const reqs = (m, labels) => m.value('cutover_requests_total', labels);
    const ok200 = { route: 'gpt-4o-mini', status: '200', color: 'blue' };
    for (const r of [ok, unknown, st]) await h.requestDone(gw, r.headers.get('x-request-id'));
    const after = await h.scrape(gw);
    assert.equal(after.types.get('cutover_requests_total'), 'counter');
    assert.equal(reqs(after, ok200) - reqs(before, ok200), 2, 'one completion and one stream');
    const nf = { route: 'none', status: '404', color: 'blue' };
    assert.equal(reqs(after, nf) - reqs(before, nf), 1, 'the unknown model counts under route="none"');

    for (const name of ['cutover_request_duration_seconds', 'cutover_overhead_seconds',
                        'cutover_time_to_first_token_seconds', 'cutover_upstream_duration_seconds']) {
      assert.equal(after.types.get(name), 'histogram', name);
      assert.ok(after.has(`${name}_bucket`) && after.has(`${name}_sum`), name);
      const inf = after.value(`${name}_bucket`, { le: '+Inf', color: 'blue' });
      assert.equal(inf, after.value(`${name}_count`, { color: 'blue' }), `${name}: +Inf bucket == count`);
    }
    const count = (m, name) => m.value(`${name}_count`, { color: 'blue' });
    assert.ok(count(after, 'cutover_request_duration_seconds') - count(before, 'cutover_request_duration_seconds') >= 3);
    assert.equal(count(after, 'cutover_overhead_seconds') - count(before, 'cutover_overhead_seconds'), 2,
      'overhead is observed for requests that reached a provider');
    assert.equal(count(after, 'cutover_time_to_first_token_seconds') - count(before, 'cutover_time_to_first_token_seconds'), 1);
    const route = { route: 'gpt-4o-mini', color: 'blue' };
    const dIn = after.value('cutover_tokens_in_total', route) - before.value('cutover_tokens_in_total', route);
    const dOut = after.value('cutover_tokens_out_total', route) - before.value('cutover_tokens_out_total', route);
    assert.ok(dIn >= usage.prompt_tokens + 1 && dOut >= usage.completion_tokens + 1,
      `tokens counted: in +${dIn}, out +${dOut} (completion alone: ${usage.prompt_tokens}/${usage.completion_tokens})`);
    assert.ok(after.value('cutover_open_connections', { color: 'blue' }) >= 1);
    assert.equal(after.value('cutover_open_streams', { color: 'blue' }), 0);
  });

  test('/metrics stays valid Prometheus text whatever the route aliases are', async () => {
    // Label values must escape \\ and " (text exposition format 0.0.4); one odd alias must
    // not break scraping of the whole gateway.
    const odd = 'team "a" \\ model';
    const g = await h.startGateway(config(mock.baseUrl, {
      routes: [{ alias: odd, targets: [{ provider: 'mock', model: 'mock-fast' }] }],
    }), { dir, env: secretEnv });
    try {
      const res = await h.postJson(`${g.baseUrl}/chat/completions`, { ...chat('odd'), model: odd }, { headers: auth });
      assert.equal(res.status, 200);
      await h.requestDone(g, res.headers.get('x-request-id'));
      const text = await (await h.get(`${g.url}/metrics`)).text();
      const m = h.parseMetrics(text);  // throws on a line that is not valid exposition format
      assert.equal(m.value('cutover_requests_total', { route: odd, status: '200' }), 1);
    } finally {
      await g.stop();
    }
  });

  test('non-streamed responses carry x-cutover-overhead-us', async () => {
    const res = await h.postJson(`${gw.baseUrl}/chat/completions`, chat('overhead'), { headers: auth });
    assert.equal(res.status, 200);
    const v = res.headers.get('x-cutover-overhead-us');
    assert.match(v ?? '', /^\d+$/, `x-cutover-overhead-us = ${v}`);
    assert.ok(Number(v) < 5_000_000);
    const emb = await h.postJson(`${gw.baseUrl}/embeddings`, { model: 'gpt-4o-mini', input: 'x' }, { headers: auth });
    assert.equal(emb.status, 200);
    assert.match(emb.headers.get('x-cutover-overhead-us') ?? '', /^\d+$/);
  });
});

describe('secrets', () => {
  test('keys from the config or the environment never appear in the log', async () => {
    const wrong = h.secret('sk-e2e-typo');
    const envAuth = { authorization: `Bearer ${ENV_KEY}` };
    assert.equal((await h.postJson(`${gw.baseUrl}/chat/completions`, chat('env key'), { headers: envAuth })).status, 200);
    assert.equal((await h.postJson(`${gw.baseUrl}/chat/completions`, chat('bad key'),
      { headers: { authorization: `Bearer ${wrong}` } })).status, 401);
    assert.equal((await h.postJson(`${gw.baseUrl}/chat/completions`, 'not json', { headers: envAuth })).status, 400);
    const log = await gw.waitForLog((l) => l.msg === 'request' && l.key_id === 'from-env', 5000, 'access log line');
    assert.equal(log.status, 200);
    for (const s of [KEY, ENV_KEY, PROVIDER_KEY, wrong])
      assert.ok(!gw.stderr.includes(s), `a secret (${s.slice(0, 14)}...) appears in the gateway's stderr`);
  });
});

describe('start-up failures', () => {
  test('a bad config exits non-zero naming every problem with its path, one per line', async () => {
    const bad = h.toYaml({
      listen: '127.0.0.1:0',
      limits: { max_conections: 5 },
      api_keys: [{ id: 'k', key: 'sk-x' }],
      providers: [{ name: 'mock', base_url: 'http://127.0.0.1:9/v1' }],
      routes: [{ alias: 'a', targets: [{ provider: 'mock', model: 'm' }], fallbak: [] },
               { alias: 'b', targets: [{ provider: 'nobody', model: 'm' }] }],
    });
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, bad);
    const r = await h.runCutover(['gateway', '--config', file]);
    assert.notEqual(r.code, 0, 'must exit non-zero');
    assert.equal(r.signal, null);
    const lines = r.stderr.split('\n');
    for (const want of ['routes[0].fallbak: unknown key', 'limits.max_conections: unknown key',
                        "routes[1].targets[0].provider: unknown provider 'nobody'"])
      assert.equal(lines.filter((l) => l.includes(want)).length, 1, `'${want}' on its own line in:\n${r.stderr}`);
    assert.ok(r.stderr.includes(file), 'the message names the file');
    assert.ok(!r.stderr.includes('sk-x'), 'the message does not print keys');
  });

  test('a config naming an unset environment variable, invalid YAML or a missing file exits non-zero', async () => {
    const envCfg = path.join(dir, 'env.yaml');
    await writeFile(envCfg, h.toYaml({
      api_keys: [{ id: 'k', key_env: 'E2E_SURELY_UNSET_VARIABLE' }],
      providers: [{ name: 'mock', base_url: 'http://127.0.0.1:9/v1' }],
      routes: [{ alias: 'a', targets: [{ provider: 'mock', model: 'm' }] }],
    }));
    const r1 = await h.runCutover(['gateway', '--config', envCfg]);
    assert.notEqual(r1.code, 0);
    assert.match(r1.stderr, /api_keys\[0\]\.key_env: environment variable E2E_SURELY_UNSET_VARIABLE is not set/);

    const yamlCfg = path.join(dir, 'broken.yaml');
    await writeFile(yamlCfg, 'routes: [unclosed\n  - {');
    const r2 = await h.runCutover(['gateway', '--config', yamlCfg]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /YAML/);

    const r3 = await h.runCutover(['gateway', '--config', path.join(dir, 'does-not-exist.yaml')]);
    assert.notEqual(r3.code, 0);
    assert.match(r3.stderr, /does-not-exist\.yaml/);
  });

  test('bad flags exit non-zero without starting', async () => {
    const good = gw.configPath;
    for (const args of [
      ['gateway'],                                            // --config is required
      ['gateway', '--config', good, '--threads', '999'],      // out of range
      ['gateway', '--config', good, '--no-such-flag'],
      ['gateway', '--config', good, '--listen', 'nonsense'],  // not HOST:PORT
      ['no-such-command'],
    ]) {
      const r = await h.runCutover(args, { timeoutMs: 5000 });
      assert.notEqual(r.code, 0, `${args.join(' ')} must fail`);
      assert.equal(r.signal, null, `${args.join(' ')} must exit by itself, not hang`);
      assert.ok(!r.stderr.includes('"msg":"listening"'), `${args.join(' ')} must not start listening`);
    }
  });
});
