// End to end with the official `openai` SDK: client -> cutover gateway -> cutover mock-llm.
// What a user of the gateway relies on: answers, streams, usage, embeddings, model lists,
// OpenAI-shaped errors, and the provider chain (retries, fallbacks, timeouts, 429s).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import * as h from './harness.mjs';

const KEY = h.secret('sk-e2e-client');
const LIMITED_KEY = h.secret('sk-e2e-limited');
const PROVIDER_KEY = h.secret('sk-e2e-provider');
const ITL_MS = 20;  // mock-llm's delay between streamed tokens

const ALIASES = ['gpt-4o-mini', 'echo', 'text-embedding-3-small', 'fallback-500', 'fallback-reset',
                 'retry-429', 'retry-500', 'hang', 'all-429', 'all-hang', 'client-error', 'down', 'impatient'];

function config(mockBaseUrl) {
  const t = (provider, model) => ({ provider, model });
  const once = { max_attempts: 1 };
  return h.gatewayConfig({
    api_keys: [
      { id: 'e2e', key: KEY, tenant: 'tests', models: ['*'] },
      { id: 'limited', key: LIMITED_KEY, models: ['echo'] },
    ],
    providers: [
      { name: 'primary', base_url: mockBaseUrl, api_key: PROVIDER_KEY },
      { name: 'backup', base_url: mockBaseUrl },
      { name: 'slowpoke', base_url: mockBaseUrl, request_timeout_ms: 500 },
      { name: 'dead', base_url: 'http://127.0.0.1:1/v1', connect_timeout_ms: 1000 },  // nothing listens on port 1
    ],
    routes: [
      { alias: 'gpt-4o-mini', targets: [t('primary', 'mock-fast')] },
      { alias: 'echo', targets: [t('primary', 'echo')] },
      { alias: 'text-embedding-3-small', targets: [t('primary', 'mock-embed')] },
      { alias: 'fallback-500', targets: [t('primary', 'mock-fast:error-500'), t('backup', 'mock-fast')],
        retry: { max_attempts: 2, backoff_initial_ms: 10, backoff_max_ms: 50 } },
      { alias: 'fallback-reset', targets: [t('primary', 'mock-fast:reset'), t('backup', 'mock-fast')], retry: once },
      { alias: 'retry-429', targets: [t('primary', 'mock-fast:429-once')],
        retry: { max_attempts: 2, max_retry_after_ms: 2000 } },
      { alias: 'retry-500', targets: [t('primary', 'mock-fast:500-once')],
        retry: { max_attempts: 2, backoff_initial_ms: 10 } },
      { alias: 'hang', targets: [t('slowpoke', 'mock-fast:hang'), t('backup', 'mock-fast')], retry: once },
      { alias: 'all-429', targets: [t('primary', 'mock-fast:error-429'), t('backup', 'mock-fast:error-429')],
        retry: once },
      { alias: 'all-hang', targets: [t('slowpoke', 'mock-fast:hang'), t('slowpoke', 'other:hang')], retry: once },
      // mock-llm answers 400 to an unknown behaviour suffix: the request itself is wrong.
      { alias: 'client-error', targets: [t('primary', 'mock-fast:no-such-behaviour'), t('backup', 'mock-fast')] },
      { alias: 'down', targets: [t('dead', 'mock-fast'), t('backup', 'mock-fast')], retry: once },
      // mock-llm's 429 says Retry-After: 1 (s), more than this route is willing to wait.
      { alias: 'impatient', targets: [t('primary', 'mock-fast:error-429'), t('backup', 'mock-fast')],
        retry: { max_attempts: 3, max_retry_after_ms: 500 } },
    ],
  });
}

let dir, mock, gw, client;
const procs = () => [gw, mock];
const test = (name, fn, opts = {}) => it(name, { timeout: 30000, ...opts }, h.withLogs(procs, fn));
const user = (content) => [{ role: 'user', content }];

before(async () => {
  dir = await h.tempDir();
  mock = await h.startMock(['--itl-ms', String(ITL_MS)]);
  gw = await h.startGateway(config(mock.baseUrl), { dir });
  client = new OpenAI({ baseURL: gw.baseUrl, apiKey: KEY, maxRetries: 0, timeout: 20000 });
});
after(() => h.cleanup({ procs: [gw, mock], dirs: [dir] }));

async function completionText(model, prompt) {
  const r = await client.chat.completions.create({ model, messages: user(prompt) });
  return r.choices[0].message.content;
}

describe('chat completions', () => {
  test('a completion has content, usage and the gateway headers', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: user('Say something about gateways') })
      .withResponse();
    assert.equal(response.status, 200);
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.choices.length, 1);
    assert.equal(data.choices[0].message.role, 'assistant');
    assert.ok(data.choices[0].message.content.trim().length > 0, 'content must not be empty');
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.ok(data.usage.prompt_tokens > 0, 'usage.prompt_tokens');
    assert.ok(data.usage.completion_tokens > 0, 'usage.completion_tokens');
    assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);

    assert.match(response.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
    assert.equal(response.headers.get('x-cutover-color'), 'blue');
    assert.match(response.headers.get('x-cutover-route-version'), /^[0-9a-f]{12}$/);
    assert.equal(response.headers.get('x-cutover-provider'), 'primary');
    assert.equal(response.headers.get('x-cutover-retries'), null, 'no retry happened');
    assert.equal(response.headers.get('x-cutover-fallback-reason'), null, 'no fallback happened');

    // The route version identifies the route's definition: same route, same version;
    // another route, another version. Each request gets its own id.
    const again = await client.chat.completions.create({ model: 'echo', messages: user('x') }).withResponse();
    const third = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: user('y') }).withResponse();
    assert.equal(third.response.headers.get('x-cutover-route-version'), response.headers.get('x-cutover-route-version'));
    assert.notEqual(again.response.headers.get('x-cutover-route-version'), response.headers.get('x-cutover-route-version'));
    assert.notEqual(third.response.headers.get('x-request-id'), response.headers.get('x-request-id'));
  });

  test('the provider sees the provider model, not the alias (echo answers the prompt)', async () => {
    const r = await client.chat.completions.create({ model: 'echo', messages: user('mirror these exact words') });
    assert.equal(r.choices[0].message.content, 'mirror these exact words');
  });

  test('a stream arrives chunk by chunk and adds up to the non-streamed answer', async () => {
    const prompt = 'Explain streaming in a few words';
    const full = await completionText('gpt-4o-mini', prompt);
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: user(prompt), stream: true })
      .withResponse();
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^text\/event-stream/);
    assert.match(response.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
    assert.equal(response.headers.get('x-cutover-color'), 'blue');

    let text = '';
    const arrivals = [];
    let finish = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.ok(!chunk.usage, 'no usage chunk was asked for');
      const c = chunk.choices[0];
      if (c?.delta?.content) {
        text += c.delta.content;
        arrivals.push(performance.now());
      }
      if (c?.finish_reason) finish = c.finish_reason;
    }
    assert.equal(text, full, 'streamed deltas must add up to the non-streamed content');
    assert.equal(finish, 'stop');
    assert.ok(arrivals.length >= 5, `expected several content chunks, got ${arrivals.length}`);
    // The mock waits ITL_MS between tokens: a relay that buffers would deliver them at once.
    const span = arrivals.at(-1) - arrivals[0];
    const minSpan = (arrivals.length - 1) * ITL_MS * 0.5;
    assert.ok(span >= minSpan, `chunks arrived within ${span.toFixed(1)} ms; expected >= ${minSpan} ms (spread over time)`);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]).filter((g) => g >= ITL_MS / 4);
    assert.ok(gaps.length >= (arrivals.length - 1) / 2,
      `only ${gaps.length} of ${arrivals.length - 1} gaps between chunks look like separate deliveries`);
  });

  test('stream_options.include_usage yields a usage chunk; without it none is passed on', async () => {
    const prompt = 'usage please';
    const { data: plain, response: r0 } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: user(prompt) }).withResponse();
    await h.requestDone(gw, r0.headers.get('x-request-id'));

    const { data: withUsage, response: r1 } = await client.chat.completions.create({
      model: 'gpt-4o-mini', messages: user(prompt), stream: true, stream_options: { include_usage: true },
    }).withResponse();
    const usageChunks = [];
    for await (const chunk of withUsage) if (chunk.usage) usageChunks.push(chunk);
    await h.requestDone(gw, r1.headers.get('x-request-id'));
    assert.equal(usageChunks.length, 1, 'exactly one usage chunk');
    assert.deepEqual(usageChunks[0].choices, [], 'the usage chunk has no choices');
    assert.equal(usageChunks[0].usage.completion_tokens, plain.usage.completion_tokens);
    assert.equal(usageChunks[0].usage.prompt_tokens, plain.usage.prompt_tokens);

    // Without include_usage the gateway still asks the provider for usage (to count tokens)
    // but must not hand the client a chunk it did not ask for.
    const before = await h.scrape(gw);
    const { data: noUsage, response: r2 } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: user(prompt), stream: true }).withResponse();
    let chunks = 0;
    for await (const chunk of noUsage) {
      chunks++;
      assert.ok(!chunk.usage, `unexpected usage chunk: ${JSON.stringify(chunk)}`);
      assert.ok(chunk.choices.length > 0, `a chunk without choices reached the client: ${JSON.stringify(chunk)}`);
    }
    assert.ok(chunks > 1);
    await h.requestDone(gw, r2.headers.get('x-request-id'));
    const after = await h.scrape(gw);
    const route = { route: 'gpt-4o-mini', color: 'blue' };
    assert.equal(after.value('cutover_tokens_out_total', route) - before.value('cutover_tokens_out_total', route),
      plain.usage.completion_tokens, 'tokens of the stream are counted even though the usage chunk was stripped');
    assert.equal(after.value('cutover_tokens_in_total', route) - before.value('cutover_tokens_in_total', route),
      plain.usage.prompt_tokens);
  });

  test('a stream is terminated by [DONE] on the wire', async () => {
    const res = await h.postJson(`${gw.baseUrl}/chat/completions`,
      { model: 'echo', messages: user('one two three'), stream: true },
      { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 200);
    const events = await h.readSse(res);
    assert.equal(events.at(-1).data, '[DONE]');
    const text = events.slice(0, -1).map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? '').join('');
    assert.equal(text, 'one two three');
  });
});

describe('embeddings', () => {
  test('the SDK default (base64) decodes to unit vectors of the right length', async () => {
    const r = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['hello', 'world'] });
    assert.equal(r.object, 'list');
    assert.equal(r.data.length, 2);
    for (const [i, d] of r.data.entries()) {
      assert.equal(d.index, i);
      assert.ok(Array.isArray(d.embedding), 'decoded to an array of numbers');
      assert.equal(d.embedding.length, 1536);
      const norm = Math.hypot(...d.embedding);
      assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm} should be 1`);
    }
    assert.notDeepEqual(r.data[0].embedding, r.data[1].embedding, 'different inputs, different vectors');
    assert.ok(r.usage.prompt_tokens > 0);

    // The float encoding of the same input carries the same vector.
    const res = await h.postJson(`${gw.baseUrl}/embeddings`,
      { model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' },
      { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 200);
    const floats = (await res.json()).data[0].embedding;
    assert.equal(floats.length, 1536);
    const maxDiff = Math.max(...floats.map((v, i) => Math.abs(v - r.data[0].embedding[i])));
    assert.ok(maxDiff < 1e-6, `base64 and float vectors differ by ${maxDiff}`);
  });

  test('dimensions is passed through', async () => {
    const r = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello', dimensions: 64 });
    assert.equal(r.data[0].embedding.length, 64);
    assert.ok(Math.abs(Math.hypot(...r.data[0].embedding) - 1) < 1e-3);
  });
});

describe('models and keys', () => {
  test('the model list is the aliases the key may use', async () => {
    const all = [];
    for await (const m of client.models.list()) all.push(m.id);
    assert.deepEqual(all.sort(), [...ALIASES].sort());

    const limited = new OpenAI({ baseURL: gw.baseUrl, apiKey: LIMITED_KEY, maxRetries: 0, timeout: 10000 });
    const mine = [];
    for await (const m of limited.models.list()) mine.push(m.id);
    assert.deepEqual(mine, ['echo']);

    // ... and the limited key may use that alias but not another.
    const ok = await limited.chat.completions.create({ model: 'echo', messages: user('allowed') });
    assert.equal(ok.choices[0].message.content, 'allowed');
    await assert.rejects(
      limited.chat.completions.create({ model: 'gpt-4o-mini', messages: user('not allowed') }),
      (e) => {
        assert.ok(e instanceof OpenAI.PermissionDeniedError, `got ${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.status, 403);
        assert.equal(e.param, 'model');
        return true;
      });
  });

  test('a wrong key gets 401 AuthenticationError with an OpenAI-shaped body', async () => {
    const bad = new OpenAI({ baseURL: gw.baseUrl, apiKey: 'sk-not-a-key-of-this-gateway', maxRetries: 0, timeout: 10000 });
    await assert.rejects(bad.chat.completions.create({ model: 'gpt-4o-mini', messages: user('hi') }), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, `got ${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.status, 401);
      assert.equal(e.type, 'authentication_error');
      assert.equal(e.code, 'invalid_api_key');
      assert.equal(typeof e.error.message, 'string');
      assert.ok(e.error.message.length > 0);
      assert.match(e.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
      return true;
    });
    await assert.rejects(bad.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
    // No key at all.
    const res = await h.postJson(`${gw.baseUrl}/chat/completions`, { model: 'gpt-4o-mini', messages: user('hi') });
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.equal(body.error.type, 'authentication_error');
    assert.match(body.error.message, /Authorization: Bearer/);
  });

  test('an unknown model gets 404 NotFoundError', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: user('hi') }), (e) => {
      assert.ok(e instanceof OpenAI.NotFoundError, `got ${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.status, 404);
      assert.equal(e.code, 'model_not_found');
      assert.equal(e.param, 'model');
      assert.match(e.message, /no-such-model/);
      return true;
    });
  });

  test('malformed JSON gets 400 with {"error":{message,type,code,param}}', async () => {
    const res = await h.postJson(`${gw.baseUrl}/chat/completions`, '{"model": "gpt-4o-mini", "messages": [',
      { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type'), /application\/json/);
    assert.match(res.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
    const body = await res.json();
    assert.deepEqual(Object.keys(body), ['error']);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(body.error.code, 'invalid_json');
    assert.equal(body.error.param, null);
    assert.ok(body.error.message.length > 10);
  });

  test('a missing required parameter gets 400 BadRequestError naming it', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o-mini' }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `got ${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.param, 'messages');
      return true;
    });
  });
});

describe('provider chain', () => {
  test('a provider 500 falls back to the next provider', async () => {
    const before = await h.scrape(gw);
    const { data, response } = await client.chat.completions
      .create({ model: 'fallback-500', messages: user('fallback please') }).withResponse();
    assert.equal(response.status, 200);
    assert.equal(data.choices[0].message.content, await completionText('gpt-4o-mini', 'fallback please'),
      'the answer is the backup provider\'s (same mock model)');
    assert.match(response.headers.get('x-cutover-fallback-reason') ?? '', /^primary: /);
    assert.equal(response.headers.get('x-cutover-provider'), 'backup');
    await h.requestDone(gw, response.headers.get('x-request-id'));
    const after = await h.scrape(gw);
    const route = { route: 'fallback-500' };
    assert.equal(after.value('cutover_fallbacks_total', route) - before.value('cutover_fallbacks_total', route), 1);
    assert.equal(after.value('cutover_requests_total', { ...route, status: '200', color: 'blue' }) -
                 before.value('cutover_requests_total', { ...route, status: '200', color: 'blue' }), 1);
  });

  test('a provider 429 is retried after its Retry-After and succeeds', async () => {
    const before = await h.scrape(gw);
    const t0 = performance.now();
    const { data, response } = await client.chat.completions
      .create({ model: 'retry-429', messages: user('retry me') }).withResponse();
    const elapsed = performance.now() - t0;
    assert.equal(response.status, 200);
    assert.ok(data.choices[0].message.content.length > 0);
    assert.equal(response.headers.get('x-cutover-retries'), '1');
    assert.equal(response.headers.get('x-cutover-fallback-reason'), null);
    // mock-llm's 429 says Retry-After: 1; the gateway waits that long before retrying.
    assert.ok(elapsed >= 900, `retried after ${elapsed.toFixed(0)} ms, before the provider's Retry-After of 1 s`);
    await h.requestDone(gw, response.headers.get('x-request-id'));
    const after = await h.scrape(gw);
    const route = { route: 'retry-429' };
    assert.equal(after.value('cutover_retries_total', route) - before.value('cutover_retries_total', route), 1);
    assert.equal(after.value('cutover_fallbacks_total', route) - before.value('cutover_fallbacks_total', route), 0);
  });

  test('a provider 500 is retried on the same provider and succeeds', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'retry-500', messages: user('retry me too') }).withResponse();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-cutover-retries'), '1');
    assert.equal(response.headers.get('x-cutover-provider'), 'primary');
  });

  test('x-cutover-overhead-us excludes time spent waiting to retry a provider', async () => {
    // cutover_overhead_seconds / x-cutover-overhead-us are "the gateway's own time: total
    // minus provider wait". Sleeping out a provider's Retry-After is provider time.
    const t0 = performance.now();
    const { response } = await client.chat.completions
      .create({ model: 'retry-429', messages: user('overhead of a retried request') }).withResponse();
    const elapsed = performance.now() - t0;
    assert.equal(response.headers.get('x-cutover-retries'), '1');
    const overheadMs = Number(response.headers.get('x-cutover-overhead-us')) / 1000;
    assert.ok(elapsed >= 900);
    assert.ok(overheadMs < 300,
      `x-cutover-overhead-us reports ${overheadMs.toFixed(0)} ms of gateway overhead for a request that ` +
      `spent ~1000 ms waiting on the provider's Retry-After`);
  });

  test('a Retry-After longer than max_retry_after_ms moves on to the next provider without waiting', async () => {
    const t0 = performance.now();
    const { response } = await client.chat.completions
      .create({ model: 'impatient', messages: user('no waiting') }).withResponse();
    const elapsed = performance.now() - t0;
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-cutover-provider'), 'backup');
    assert.equal(response.headers.get('x-cutover-fallback-reason'), 'primary: upstream_rate_limited');
    assert.equal(response.headers.get('x-cutover-retries'), null, 'no retry on the rate-limited provider');
    assert.ok(elapsed < 900, `took ${elapsed.toFixed(0)} ms: it waited for the Retry-After`);
  });

  test('a provider that hangs times out and falls back within a few seconds', async () => {
    const t0 = performance.now();
    const { data, response } = await client.chat.completions
      .create({ model: 'hang', messages: user('are you there') }).withResponse();
    const elapsed = performance.now() - t0;
    assert.equal(response.status, 200);
    assert.ok(data.choices[0].message.content.length > 0);
    assert.equal(response.headers.get('x-cutover-provider'), 'backup');
    assert.equal(response.headers.get('x-cutover-fallback-reason'), 'slowpoke: upstream_timeout');
    assert.ok(elapsed >= 450, `fell back after ${elapsed.toFixed(0)} ms, before request_timeout_ms 500`);
    assert.ok(elapsed < 5000, `fell back after ${elapsed.toFixed(0)} ms`);
  });

  test('when every provider answers 429 the client gets 429 with Retry-After', async () => {
    const res = await h.postJson(`${gw.baseUrl}/chat/completions`,
      { model: 'all-429', messages: user('limited') }, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 429);
    assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    const body = await res.json();
    assert.equal(body.error.type, 'rate_limit_error');
    assert.equal(body.error.code, 'upstream_rate_limited');

    await assert.rejects(client.chat.completions.create({ model: 'all-429', messages: user('limited') }), (e) => {
      assert.ok(e instanceof OpenAI.RateLimitError, `got ${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.status, 429);
      return true;
    });
  });

  test('a provider 429 keeps its message: in the client\'s error and in the attempt log', async () => {
    // "Every error message says what was wrong": which route, which providers, why.
    const rid = `all-429-${Date.now()}`;
    const res = await h.postJson(`${gw.baseUrl}/chat/completions`, { model: 'all-429', messages: user('why') },
      { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': rid } });
    assert.equal(res.status, 429);
    const { error } = await res.json();
    assert.match(error.message, /all-429/, `unhelpful 429 message: ${JSON.stringify(error.message)}`);
    assert.match(error.message, /rate limit/i, `unhelpful 429 message: ${JSON.stringify(error.message)}`);
    const attempts = gw.logs().filter((l) => l.msg === 'provider attempt failed' && l.request_id === rid);
    assert.equal(attempts.length, 2);
    for (const a of attempts)
      assert.match(a.error, /rate limit/i, `attempt log without the provider's error: ${JSON.stringify(a)}`);
  });

  test('when every provider times out the client gets 504', async () => {
    const t0 = performance.now();
    await assert.rejects(client.chat.completions.create({ model: 'all-hang', messages: user('anyone') }), (e) => {
      assert.ok(e instanceof OpenAI.APIError, `got ${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.status, 504);
      assert.equal(e.code, 'upstream_timeout');
      return true;
    });
    assert.ok(performance.now() - t0 < 5000);
  });

  test('a provider 4xx (the request is wrong) is passed through as is: no retry, no fallback', async () => {
    const res = await h.postJson(`${gw.baseUrl}/chat/completions`, { model: 'client-error', messages: user('x') },
      { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-cutover-provider'), 'primary');
    assert.equal(res.headers.get('x-cutover-retries'), null);
    assert.equal(res.headers.get('x-cutover-fallback-reason'), null);
    const body = await res.json();
    assert.match(body.error.message, /no-such-behaviour/, 'the provider\'s own message reaches the client');
    assert.equal(body.error.param, 'model');
  });

  test('a provider that is down (connection refused) falls back', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'down', messages: user('anyone home') }).withResponse();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-cutover-provider'), 'backup');
    assert.equal(response.headers.get('x-cutover-fallback-reason'), 'dead: upstream_unreachable');
  });

  test('a stream whose provider fails before any byte falls back too', async () => {
    const prompt = 'stream with fallback';
    const expected = await completionText('gpt-4o-mini', prompt);
    for (const [model, reason] of [['fallback-500', 'primary: upstream_error'], ['fallback-reset', 'primary: upstream_error'],
                                   ['hang', 'slowpoke: upstream_timeout']]) {
      const { data: stream, response } = await client.chat.completions
        .create({ model, messages: user(prompt), stream: true }).withResponse();
      assert.equal(response.status, 200, model);
      assert.equal(response.headers.get('x-cutover-fallback-reason'), reason, model);
      assert.equal(response.headers.get('x-cutover-provider'), 'backup', model);
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      assert.equal(text, expected, model);
    }
  });
});

describe('streams that go wrong after they began', () => {
  // Each test here has its own mock-llm (killed or slowed on purpose) and gateway.
  const own = [];
  after(() => h.cleanup({ procs: own }));
  async function stack(mockArgs, provider = {}) {
    const m = await h.startMock(mockArgs);
    own.push(m);
    const g = await h.startGateway(h.gatewayConfig({
      api_keys: [{ id: 'e2e', key: KEY }],
      providers: [{ name: 'flaky', base_url: m.baseUrl, ...provider }],
      routes: [{ alias: 'echo', targets: [{ provider: 'flaky', model: 'echo' }] }],
    }), { dir });
    own.push(g);
    return { m, g };
  }
  const words = (n) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
  const local = (name, fn) => it(name, { timeout: 30000 }, h.withLogs(() => [...own], fn));
  const contentOf = (events) => events.filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data)).filter((d) => !d.error).map((d) => d.choices[0]?.delta?.content ?? '').join('');

  local('a provider that dies mid-stream: the client gets an error event and a cleanly ended stream', async () => {
    const { m, g } = await stack(['--itl-ms', '50']);
    const rid = `dies-${Date.now()}`;
    const res = await h.postJson(`${g.baseUrl}/chat/completions`, { model: 'echo', messages: user(words(40)), stream: true },
      { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': rid } });
    assert.equal(res.status, 200);
    const events = await h.readSse(res, {
      onEvent: (_, all) => { if (all.length === 3) m.signal('SIGKILL'); },
    });
    const last = JSON.parse(events.at(-1).data);
    assert.ok(last.error, `the stream must end with an error event, got ${events.at(-1).data}`);
    assert.equal(last.error.type, 'upstream_error');
    assert.match(last.error.message, /flaky/);
    assert.ok(!events.some((e) => e.data === '[DONE]'), 'a broken stream must not claim [DONE]');
    assert.ok(words(40).startsWith(contentOf(events)) && contentOf(events).length > 0);
    const line = await h.requestDone(g, rid);
    assert.equal(line.status, 502);

    // Through the SDK the failure surfaces as an exception, never as a silently short answer.
    const m2 = await h.startMock(['--itl-ms', '50']);
    own.push(m2);
    const g2 = await h.startGateway(h.gatewayConfig({
      api_keys: [{ id: 'e2e', key: KEY }],
      providers: [{ name: 'flaky', base_url: m2.baseUrl }],
      routes: [{ alias: 'echo', targets: [{ provider: 'flaky', model: 'echo' }] }],
    }), { dir });
    own.push(g2);
    const sdk = new OpenAI({ baseURL: g2.baseUrl, apiKey: KEY, maxRetries: 0, timeout: 20000 });
    const stream = await sdk.chat.completions.create({ model: 'echo', messages: user(words(40)), stream: true });
    let n = 0;
    await assert.rejects((async () => {
      for await (const _ of stream) if (++n === 3) m2.signal('SIGKILL');
    })(), (e) => e instanceof OpenAI.APIError && /flaky/.test(e.message));
  });

  local('a stream silent for longer than stream_idle_timeout_ms ends with an upstream_timeout event', async () => {
    const { g } = await stack(['--itl-ms', '3000'], { stream_idle_timeout_ms: 300 });
    const t0 = performance.now();
    const res = await h.postJson(`${g.baseUrl}/chat/completions`, { model: 'echo', messages: user('first second third'), stream: true },
      { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 200);
    const events = await h.readSse(res);
    const took = performance.now() - t0;
    assert.equal(contentOf(events), 'first', 'the first token got through before the silence');
    const last = JSON.parse(events.at(-1).data);
    assert.equal(last.error?.code, 'upstream_timeout', events.at(-1).data);
    assert.ok(took >= 250 && took < 2500, `ended after ${took.toFixed(0)} ms (idle timeout 300 ms, next token at 3000 ms)`);
  });

  local('a client that leaves mid-stream is logged as 499 and frees its stream', async () => {
    const { g } = await stack(['--itl-ms', '50']);
    const rid = `leaves-${Date.now()}`;
    const ac = new AbortController();
    const res = await fetch(`${g.baseUrl}/chat/completions`, {
      method: 'POST', signal: ac.signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-request-id': rid },
      body: JSON.stringify({ model: 'echo', messages: user(words(60)), stream: true }),
    });
    await h.readSse(res, { onEvent: (_, all) => { if (all.length === 2) ac.abort(); } }).catch(() => {});
    const line = await h.requestDone(g, rid, 10000);
    assert.equal(line.status, 499);
    assert.ok(line.duration_us < 2_500_000, `the gateway went on for ${line.duration_us} us after the client left`);
    const m = await h.scrape(g);
    assert.equal(m.value('cutover_open_streams'), 0);
  });
});

describe('secrets', () => {
  test('no API key (client or provider) appears in the gateway log', async () => {
    const wrong = h.secret('sk-e2e-wrong');
    await h.postJson(`${gw.baseUrl}/chat/completions`, { model: 'gpt-4o-mini', messages: user('x') },
      { headers: { authorization: `Bearer ${wrong}` } });
    await client.chat.completions.create({ model: 'fallback-500', messages: user('log me not') });
    const log = gw.stderr;
    assert.ok(log.includes('"msg":"request"'), 'the access log is on');
    for (const s of [KEY, LIMITED_KEY, PROVIDER_KEY, wrong])
      assert.ok(!log.includes(s), `a secret (${s.slice(0, 14)}...) appears in the gateway's stderr`);
  });
});
