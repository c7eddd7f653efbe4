// Shutdown and TLS: SIGTERM drains in-flight streams and then exits 0; a TLS listener in
// front of mock-llm, and a gateway reaching it as an https:// provider with certificate
// verification on (a CA made with the openssl CLI at test time).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import OpenAI from 'openai';
import * as h from './harness.mjs';

const KEY = h.secret('sk-e2e-drain');
const ITL_MS = 100;
const WORDS = Array.from({ length: 20 }, (_, i) => `word${i + 1}`);
const PROMPT = WORDS.join(' ');  // mock-llm's "echo" answers it back in 20 tokens, ITL_MS apart

let dir, mock;
const started = [];  // every gateway of this file, stopped in after()
const test = (name, fn, opts = {}) => it(name, { timeout: 60000, ...opts }, h.withLogs(() => [...started, mock], fn));

function config(over = {}) {
  return h.gatewayConfig({
    api_keys: [{ id: 'e2e', key: KEY }],
    providers: [{ name: 'mock', base_url: mock.baseUrl }],
    routes: [
      { alias: 'echo', targets: [{ provider: 'mock', model: 'echo' }] },
      { alias: 'hang', targets: [{ provider: 'mock', model: 'mock-fast:hang' }], retry: { max_attempts: 1 } },
    ],
    ...over,
  });
}

async function gateway(cfg, opts = {}) {
  const g = await h.startGateway(cfg, { dir, ...opts });
  started.push(g);
  return g;
}

before(async () => {
  dir = await h.tempDir();
  mock = await h.startMock(['--itl-ms', String(ITL_MS)]);
});
after(() => h.cleanup({ procs: [...started, mock], dirs: [dir] }));

function streamEcho(gw) {
  return h.postJson(`${gw.baseUrl}/chat/completions`,
    { model: 'echo', messages: [{ role: 'user', content: PROMPT }], stream: true },
    { headers: { authorization: `Bearer ${KEY}` }, timeoutMs: 30000 });
}

const refused = (port) => h.connect(port, { timeoutMs: 1000 }).then(
  (s) => { s.destroy(); return false; },
  (e) => e.code === 'ECONNREFUSED');

describe('SIGTERM drain', () => {
  test('an in-flight stream completes, new connections are refused, the process exits 0', async () => {
    const gw = await gateway(config({ drain_timeout_ms: 15000 }));
    const res = await streamEcho(gw);
    assert.equal(res.status, 200);
    let signalledAt = 0;
    let refusedDuringStream = null;
    const events = await h.readSse(res, {
      onEvent: async (_, all) => {
        if (all.length === 3 && !signalledAt) {
          signalledAt = performance.now();
          gw.signal('SIGTERM');
          // While the stream is still going, the gateway stops taking connections.
          refusedDuringStream = h.until(() => refused(gw.port), { timeoutMs: 1500, what: 'ECONNREFUSED' })
            .then(() => performance.now(), () => null);
        }
      },
    });
    const streamEnd = performance.now();
    assert.ok(signalledAt > 0, 'SIGTERM was sent mid-stream');
    assert.equal(events.at(-1).data, '[DONE]', 'the stream ends properly');
    const text = events.slice(0, -1).map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, PROMPT, 'the whole answer arrived');
    assert.ok(streamEnd - signalledAt > 1000, 'the stream really was in flight when SIGTERM came');

    const refusedAt = await refusedDuringStream;
    assert.ok(refusedAt !== null, 'new connections must be refused once draining');
    assert.ok(refusedAt < streamEnd, 'new connections were refused while the stream was still in flight');

    const exit = await h.within(5000, gw.exited, 'gateway exit after the drain');
    assert.deepEqual(exit, { code: 0, signal: null });
    const msgs = gw.logs().map((l) => l.msg);
    assert.ok(msgs.includes('draining') && msgs.includes('stopped'), msgs.join(','));
    assert.ok(!msgs.includes('drain deadline passed; closing remaining connections'));
    const access = gw.logs().find((l) => l.msg === 'request' && l.stream);
    assert.equal(access?.status, 200);
  });

  test('an idle gateway exits 0 promptly on SIGTERM, even with idle keep-alive connections', async () => {
    const gw = await gateway(config({ drain_timeout_ms: 15000 }));
    const sock = await h.connect(gw.port);
    sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal((await h.readResponse(sock)).status, 200);
    const t0 = performance.now();
    gw.signal('SIGTERM');
    const exit = await h.within(5000, gw.exited, 'gateway exit');
    sock.destroy();
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(performance.now() - t0 < 3000, 'an idle connection does not hold the drain');
  });

  test('drain_timeout_ms bounds the shutdown: a stream that outlives it is cut', async () => {
    const gw = await gateway(config({ drain_timeout_ms: 300 }));
    const res = await streamEcho(gw);
    assert.equal(res.status, 200);
    let t0 = 0;
    const events = await h.readSse(res, {
      onEvent: (_, all) => {
        if (all.length === 2 && !t0) { t0 = performance.now(); gw.signal('SIGTERM'); }
      },
    }).catch(() => null);  // the connection may be reset: also a cut
    const exit = await h.within(10000, gw.exited, 'gateway exit');
    const took = performance.now() - t0;
    assert.ok(t0 > 0);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(took < 1500, `exited ${took.toFixed(0)} ms after SIGTERM with drain_timeout_ms 300 (stream had ~1.8 s left)`);
    if (events) assert.notEqual(events.at(-1)?.data, '[DONE]', 'the stream cannot have completed');
    assert.ok(gw.logs().some((l) => l.msg === 'drain deadline passed; closing remaining connections'));
  });

  test('drain_timeout_ms bounds the shutdown even when a provider never answers', async () => {
    const gw = await gateway(config({ drain_timeout_ms: 300 }));
    const pending = h.postJson(`${gw.baseUrl}/chat/completions`,
      { model: 'hang', messages: [{ role: 'user', content: 'wait forever' }] },
      { headers: { authorization: `Bearer ${KEY}` }, timeoutMs: 30000 }).then((r) => r.status, (e) => e);
    // The request is with the provider once mock-llm has it; give it a moment to get there.
    await h.sleep(300);
    const t0 = performance.now();
    gw.signal('SIGTERM');
    const exit = await h.within(15000, gw.exited, 'gateway exit').catch((e) => e);
    const took = performance.now() - t0;
    const outcome = await pending;
    assert.ok(outcome instanceof Error || outcome >= 500, `the hanging request cannot succeed (got ${outcome})`);
    assert.ok(!(exit instanceof Error) && took < 3000,
      `with drain_timeout_ms 300 the gateway took ${took.toFixed(0)} ms to exit (${exit?.message ?? JSON.stringify(exit)}); ` +
      'a request waiting on a silent provider (request_timeout_ms 60000) holds the process past the drain deadline');
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});

function httpsGet(url, ca) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('TLS', () => {
  const B_KEY = h.secret('sk-e2e-tls-b');
  let certs, gwB, gwA, gwA2, client;
  const direct = async (prompt) => {
    const r = await h.postJson(`${mock.baseUrl}/chat/completions`, { model: 'mock-fast', messages: [{ role: 'user', content: prompt }] });
    return (await r.json()).choices[0].message.content;
  };

  before(async () => {
    certs = await h.makeCerts(dir);
    gwB = await gateway(h.gatewayConfig({
      tls: { cert_file: certs.cert, key_file: certs.key },
      api_keys: [{ id: 'front', key: B_KEY }],
      providers: [{ name: 'mock', base_url: mock.baseUrl }],
      routes: [{ alias: 'gpt-4o-mini', targets: [{ provider: 'mock', model: 'mock-fast' }] }],
    }));
    const upstream = `https://127.0.0.1:${gwB.port}/v1`;
    const verified = { name: 'b-verified', base_url: upstream, ca_file: certs.ca, api_key: B_KEY };
    const systemStore = { name: 'b-system-store', base_url: upstream, api_key: B_KEY };
    const routes = {
      ok: { alias: 'tls-ok', targets: [{ provider: 'b-verified', model: 'gpt-4o-mini' }] },
      untrusted: { alias: 'tls-untrusted', targets: [{ provider: 'b-system-store', model: 'gpt-4o-mini' }],
                   retry: { max_attempts: 1 } },
    };
    // One worker: one connection pool, so the reuse test below is deterministic.
    gwA = await gateway(h.gatewayConfig({
      workers: 1,
      api_keys: [{ id: 'e2e', key: KEY }],
      providers: [verified, systemStore],
      routes: [routes.ok, routes.untrusted],
    }));
    gwA2 = await gateway(h.gatewayConfig({
      api_keys: [{ id: 'e2e', key: KEY }],
      providers: [systemStore],
      routes: [routes.untrusted],
    }));
    client = new OpenAI({ baseURL: gwA.baseUrl, apiKey: KEY, maxRetries: 0, timeout: 20000 });
  });

  test('the gateway serves TLS with the configured certificate', async () => {
    assert.equal(gwB.logs().find((l) => l.msg === 'listening').tls, true);
    const ca = await readFile(certs.ca);
    const r = await httpsGet(`${gwB.url}/healthz`, ca);
    assert.equal(r.status, 200);
    await assert.rejects(httpsGet(`${gwB.url}/healthz`, undefined), /self[- ]signed|unable to verify|certificate/i);
  });

  test('a completion through an https:// provider verified with ca_file succeeds', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'tls-ok', messages: [{ role: 'user', content: 'over tls' }] }).withResponse();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-cutover-provider'), 'b-verified');
    assert.equal(data.choices[0].message.content, await direct('over tls'));

    // Streams relay over TLS as well (the echo below is mock-fast's answer, ITL_MS apart).
    const stream = await client.chat.completions.create({ model: 'tls-ok', messages: [{ role: 'user', content: 'stream over tls' }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    assert.equal(text, await direct('stream over tls'));
  });

  const seenByB = () => gwB.logs().filter((l) => l.msg === 'request').length;
  const untrustedFails = async (gw, why) => {
    // B logs a request after answering it: let the log lines of earlier requests land first.
    await h.sleep(200);
    const before = seenByB();
    const c = new OpenAI({ baseURL: gw.baseUrl, apiKey: KEY, maxRetries: 0, timeout: 20000 });
    await assert.rejects(c.chat.completions.create({ model: 'tls-untrusted', messages: [{ role: 'user', content: 'x' }] }), (e) => {
      assert.ok(e instanceof OpenAI.APIError, `${why}: got ${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.status, 502, why);
      assert.match(e.message, /certificate/i, why);
      return true;
    }, why);
    // The request never reached B: the handshake was refused before any byte of it.
    await h.sleep(200);
    assert.equal(seenByB(), before, `${why}: B received the request`);
  };

  test('without ca_file (system store) the self-signed provider is refused: 502 naming the certificate', async () => {
    await untrustedFails(gwA2, 'system store');
  });

  test('trust is per provider: a connection verified with another provider\'s ca_file is not reused', async () => {
    // b-verified (ca_file) and b-system-store (system store) share an origin. A pooled
    // connection that b-verified opened must not carry b-system-store's traffic.
    const ok = await client.chat.completions.create({ model: 'tls-ok', messages: [{ role: 'user', content: 'pool me' }] });
    assert.ok(ok.choices[0].message.content.length > 0);
    await untrustedFails(gwA, 'after b-verified left a pooled connection to the same origin');
  });
});
