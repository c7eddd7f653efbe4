// Helpers of the traffic switch suites (switch_*.test.mjs): a store with state and an audit
// key, blue and green gateways on it, `cutover switch` processes in front of them, the
// `cutover traffic` / `cutover shadow` CLI, and chat completions through the official
// openai SDK that keep what the switch said about each (color, plan version, request id).
// Everything listens on 127.0.0.1 ports the kernel picks.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import * as h from './harness.mjs';

export const KEY = h.secret('sk-switch');
export const SHADOW_TOKEN = h.secret('shadow');
// Every child gets these. The master key opens the store's audit signing key; the harness
// gives one to every child already, this keeps the suites independent of that.
export const ENV = {
  E2E_SWITCH_KEY: KEY,
  E2E_SHADOW_TOKEN: SHADOW_TOKEN,
  CUTOVER_MASTER_KEY: h.MASTER_KEY ?? randomBytes(32).toString('base64'),
};
export const MAX_TOKENS = 24;

// A fresh store with an audit signing key (h.freshStore seals one; older harnesses did not).
export async function store(backend, dir) {
  const s = await h.freshStore(backend, dir);
  if (!s.publicKey) {
    s.publicKey = path.join(dir, `audit-${randomBytes(4).toString('hex')}.pub`);
    const r = await h.runCutover(['audit', 'keygen', '--store', s.url, '--public-key-out', s.publicKey],
      { env: ENV, timeoutMs: 20000 });
    assert.equal(r.code, 0, `audit keygen: ${r.stderr}`);
  }
  return s;
}

// The shared state: route `chat` -> the mock's `model`, the suite's key (subject
// "switcher", tenant acme) plus `keys` ({id, key, tenant?}).
export function stateYaml(mockPort, { keys = [], model = 'mock-fast' } = {}) {
  return h.toYaml({
    providers: [{ name: 'mock', base_url: `http://127.0.0.1:${mockPort}/v1` }],
    routes: [{ alias: 'chat', targets: [{ provider: 'mock', model }] }],
    api_keys: [{ id: 'switcher', key_env: 'E2E_SWITCH_KEY', tenant: 'acme' }, ...keys],
  });
}

export async function cli(args, what = args.slice(0, 2).join(' '), { timeoutMs = 60000 } = {}) {
  const r = await h.runCutover(args, { env: ENV, timeoutMs });
  assert.equal(r.code, 0, `cutover ${what} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

export async function applyState(dir, storeUrl, yaml) {
  const file = path.join(dir, `state-${randomBytes(4).toString('hex')}.yaml`);
  await writeFile(file, yaml);
  return cli(['state', 'apply', '-f', file, '--store', storeUrl], 'state apply');
}

// `cutover gateway --color C --store URL` honouring the shadow token.
export async function gateway(dir, storeUrl, color, { over = {}, args = [] } = {}) {
  return h.startGateway(h.gatewayConfig({ color, shadow_token_env: 'E2E_SHADOW_TOKEN', ...over }),
    { dir, args: ['--store', storeUrl, '--color', color, ...args], env: ENV });
}

// `cutover switch` on a free port; resolves once it logged "listening". env: more variables
// (e.g. SSL_CERT_FILE, the trust store it verifies https:// gateways against).
export async function startSwitch(storeUrl, { id = `sw-${randomBytes(3).toString('hex')}`, threads = 2,
  pollMs = 100, args = [], env = {} } = {}) {
  const proc = new h.ChildProc(`switch ${id}`,
    ['switch', '--store', storeUrl, '--listen', '127.0.0.1:0', '--threads', String(threads), '--id', id,
     '--poll-ms', String(pollMs), '--shadow-token-env', 'E2E_SHADOW_TOKEN', '--drain', '5', ...args],
    { env: { ...ENV, ...env } });
  try {
    const line = await proc.waitForLog((l) => l.msg === 'listening', 15000, '"listening" line');
    proc.port = Number(/:(\d+)$/.exec(line.address)[1]);
  } catch (e) {
    await proc.stop(1000);
    throw e;
  }
  proc.id = id;
  proc.url = `http://127.0.0.1:${proc.port}`;
  proc.baseUrl = `${proc.url}/v1`;
  return proc;
}

export async function readyz(sw) {
  const res = await h.get(`${sw.url}/readyz`, { timeoutMs: 3000 });
  return { status: res.status, ...(await res.json()) };
}

// Waits until the switch serves plan `version`.
export function servesVersion(sw, version, timeoutMs = 10000) {
  return h.until(async () => (await readyz(sw)).plan_version === version,
    { timeoutMs, what: `${sw.name} serving plan v${version}` });
}

// `cutover traffic ARGS --store URL`: {code, stdout, stderr, version (the plan version the
// command stored or went back to), active (the active color it printed)}.
export async function traffic(storeUrl, args, { timeoutMs = 60000 } = {}) {
  const r = await h.runCutover(['traffic', ...args, '--store', storeUrl], { env: ENV, timeoutMs });
  const m = /traffic plan v(\d+)(?: active again)?: active ([a-z0-9-]+)/.exec(r.stdout)
    ?? /traffic plan unchanged \(v(\d+)\): active ([a-z0-9-]+)/.exec(r.stdout);
  return { ...r, version: m ? Number(m[1]) : null, active: m ? m[2] : null };
}

export async function trafficOk(storeUrl, args, opts) {
  const r = await traffic(storeUrl, args, opts);
  assert.equal(r.code, 0, `cutover traffic ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  assert.ok(r.version !== null, `cannot read the plan version from: ${r.stdout}`);
  return r;
}

export const envArgs = (envs) => Object.entries(envs).map(([c, gws]) =>
  ['--env', `${c}=${[gws].flat().map((g) => g.url).join(',')}`]).flat();

export function client(sw, apiKey = KEY, opts = {}) {
  return new OpenAI({ baseURL: sw.baseUrl, apiKey, maxRetries: 0, timeout: 30000, ...opts });
}

// When each request really left and its answer's head came back, by x-request-id, from
// fetch's (undici's) diagnostics channels: the time a test takes before calling the SDK
// is not the time the bytes reach the switch when the event loop is busy.
const wire = new Map();          // request id -> {wireAt, headAt}
const inFlight = new WeakMap();  // undici request -> its wire entry
diagnostics.subscribe('undici:client:sendHeaders', ({ request, headers }) => {
  const m = /\r\nx-request-id: ([^\r]+)\r\n/i.exec(headers);
  if (m && wire.has(m[1])) inFlight.set(request, wire.get(m[1]));
});
diagnostics.subscribe('undici:request:bodySent', ({ request }) => {
  const w = inFlight.get(request);
  if (w) w.wireAt = performance.now();
});
diagnostics.subscribe('undici:request:headers', ({ request }) => {
  const w = inFlight.get(request);
  if (w) w.headAt = performance.now();
});

const who = (response) => ({
  status: response.status,
  color: response.headers.get('x-cutover-color'),
  version: Number(response.headers.get('x-cutover-plan-version')),
  id: response.headers.get('x-request-id'),
});

// One chat completion through the SDK, with an x-request-id of its own. Non-streamed:
// {status, color, version, id, content, sentAt (the call), wireAt (its body written to the
// socket), headAt (the answer's head back), doneAt}. Streamed (read as raw SSE so that the final [DONE] is seen): also
// {done, events}; content is the concatenation of the deltas. An SDK error (any non-2xx)
// resolves {status, error, ...}; a transport error rejects.
export async function chat(c, { prompt = 'hello', stream = false, headers = {}, extra = {} } = {}) {
  const body = { model: 'chat', messages: [{ role: 'user', content: prompt }], max_tokens: MAX_TOKENS, ...extra };
  const rid = `e2e-${randomBytes(12).toString('hex')}`;
  const times = { sentAt: performance.now() };
  wire.set(rid, times);
  headers = { 'x-request-id': rid, ...headers };
  try {
    return await chatSent(c, body, stream, headers, times);
  } finally {
    wire.delete(rid);
  }
}

async function chatSent(c, body, stream, headers, times) {
  try {
    if (!stream) {
      const { data, response } = await c.chat.completions.create(body, { headers }).withResponse();
      return { ...who(response), content: data.choices[0].message.content, data, ...times, doneAt: performance.now() };
    }
    const response = await c.chat.completions.create({ ...body, stream: true }, { headers }).asResponse();
    const out = { ...who(response), ...times };
    if (response.status !== 200) {
      const text = await response.text();
      let error = text;
      try { error = JSON.parse(text).error ?? text; } catch { /* not JSON */ }
      return { ...out, error, message: error?.message ?? text, doneAt: performance.now() };
    }
    const events = await h.readSse(response);
    out.done = events.length > 0 && events[events.length - 1].data === '[DONE]';
    out.events = events.length;
    out.content = '';
    for (const e of events) {
      if (e.data === '[DONE]') continue;
      const chunk = JSON.parse(e.data);
      if (chunk.error) out.streamError = chunk.error;
      out.content += chunk.choices?.[0]?.delta?.content ?? '';
    }
    out.doneAt = performance.now();
    return { ...out, ...times };
  } catch (e) {
    if (e instanceof OpenAI.APIError && e.status) {
      return { ...who({ status: e.status, headers: e.headers }), error: e.error ?? e.message, message: e.message,
               ...times, doneAt: performance.now() };
    }
    throw e;
  }
}

// Runs `send(i)` at about `rate` per second (at most `concurrency` at a time, at most
// `total`, until `stop()`), open loop: the schedule does not wait for answers unless the
// concurrency cap is reached. A send that throws is kept as {status: 0, error}.
// Resolves {results, elapsedMs, rate (achieved)}.
export async function pacedLoad({ rate, total, concurrency, send, stop = () => false }) {
  const results = [];
  let launched = 0, inFlight = 0;
  const t0 = performance.now();
  const running = new Set();
  let wake;
  const launch = () => {
    const i = launched++;
    inFlight++;
    const p = (async () => {
      try {
        results[i] = await send(i);
      } catch (e) {
        results[i] = { status: 0, error: e.cause?.code ?? e.message, index: i };
      } finally {
        inFlight--;
        running.delete(p);
        wake?.();
      }
    })();
    running.add(p);
  };
  while (launched < total && !stop()) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (launched < due && inFlight < concurrency) launch();
    await new Promise((r) => { wake = r; setTimeout(r, 2); });
  }
  await Promise.all(running);
  const elapsedMs = performance.now() - t0;
  return { results: results.filter(Boolean), elapsedMs, rate: (launched / elapsedMs) * 1000 };
}

export const statuses = (results) => results.reduce((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});

// The log's entry lines through `cutover audit export -o FILE` (in dir).
export async function exportEntries(storeUrl, dir) {
  const file = path.join(dir, `export-${randomBytes(4).toString('hex')}.jsonl`);
  await cli(['audit', 'export', '--store', storeUrl, '-o', file], 'audit export', { timeoutMs: 120000 });
  const text = await readFile(file, 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.type === 'entry');
}

export async function verifyOk(store) {
  const r = await h.runCutover(['audit', 'verify', '--store', store.url, '--public-key', store.publicKey],
    { env: ENV, timeoutMs: 120000 });
  assert.equal(r.code, 0, `audit verify failed:\n${r.stderr}${r.stdout}`);
  assert.match(r.stdout, /^ok: \d+ entries/);
  return r.stdout;
}

// `cutover shadow report`: {text, total, outcomes: {equal, ...}, kinds: {"different content": n}}.
export async function shadowReport(storeUrl, args = []) {
  const r = await cli(['shadow', 'report', '--store', storeUrl, ...args], 'shadow report');
  const out = { text: r.stdout, total: Number(/shadow comparisons: (\d+)/.exec(r.stdout)?.[1] ?? NaN),
                outcomes: {}, kinds: {} };
  for (const m of r.stdout.matchAll(/^ {2}(equal|equivalent|different|error): (\d+)$/gm)) out.outcomes[m[1]] = Number(m[2]);
  const byKind = r.stdout.split('by kind:\n')[1] ?? '';
  for (const m of byKind.matchAll(/^ {2}((?:equivalent|different) [a-z_]+): (\d+)$/gm)) out.kinds[m[1]] = Number(m[2]);
  return out;
}

export async function metrics(sw) {
  const res = await h.get(`${sw.url}/metrics`);
  assert.equal(res.status, 200);
  return h.parseMetrics(await res.text());
}
