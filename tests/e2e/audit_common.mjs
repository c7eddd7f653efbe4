// Helpers of the audit suites (audit_entries.test.mjs, audit_load.test.mjs): a store with
// state and an audit key, bounded load with the request ids the clients got, and the
// log read back through the real CLI (`cutover audit export|query|verify`).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as h from './harness.mjs';

export const KEY = h.secret('sk-audit');
export const ENV = { E2E_AUDIT_KEY: KEY };

// A state file: the mock as provider, route `chat` (mock-fast), one key of tenant acme.
export function stateYaml(mockPort, { alias = 'chat' } = {}) {
  return h.toYaml({
    providers: [{ name: 'mock', base_url: `http://127.0.0.1:${mockPort}/v1` }],
    routes: [{ alias, targets: [{ provider: 'mock', model: 'mock-fast' }] }],
    api_keys: [{ id: 'auditor', key_env: 'E2E_AUDIT_KEY', tenant: 'acme' }],
  });
}

export async function cli(args, what = args.slice(0, 2).join(' '), opts = {}) {
  const r = await h.runCutover(args, { env: ENV, timeoutMs: 30000, ...opts });
  assert.equal(r.code, 0, `cutover ${what} failed (exit ${r.code}, signal ${r.signal}):\n${r.stderr}${r.stdout}`);
  return r;
}

export async function applyState(dir, storeUrl, yaml, extra = []) {
  const file = path.join(dir, `state-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, yaml);
  return cli(['state', 'apply', '-f', file, '--store', storeUrl, ...extra], 'state apply');
}

// A fresh store (with an audit key) holding stateYaml(mock).
export async function storeWithState(backend, dir, mock) {
  const store = await h.freshStore(backend, dir);
  await applyState(dir, store.url, stateYaml(mock.port));
  return store;
}

export const chatBody = (content = 'hello') => ({ model: 'chat', messages: [{ role: 'user', content }] });

// One chat completion through fetch: {status, id, body} (the body's text).
export async function chat(gw, { stream = false, timeoutMs = 15000 } = {}) {
  const res = await h.postJson(`${gw.baseUrl}/chat/completions`, { ...chatBody(), stream },
    { headers: { authorization: `Bearer ${KEY}` }, timeoutMs });
  const id = res.headers.get('x-request-id');
  if (!stream || res.status !== 200) return { status: res.status, id, body: await res.text() };
  // A stream counts as a 200 only once its final [DONE] arrived.
  const events = await h.readSse(res);
  const done = events.length > 0 && events[events.length - 1].data === '[DONE]';
  return { status: done ? 200 : -1, id, body: events.map((e) => e.data).join('\n') };
}

// Runs up to `total` requests, `concurrency` at a time; send(i) resolves {status, id}. A
// request that throws (connection refused or reset) counts as status 0. Stops early when
// stop() turns true. Resolves the results in request order.
export async function load({ total, concurrency, send, stop = () => false, onResult }) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < total && !stop()) {
      const i = next++;
      let r;
      try {
        r = await send(i);
      } catch (e) {
        r = { status: 0, id: null, error: e.cause?.code ?? e.message };
      }
      results[i] = r;
      onResult?.(r, i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results.filter(Boolean);
}

// The log as JSON Lines from `cutover audit export`: {lines (the raw text lines), entries
// (parsed entry lines, in file order)}.
export async function exportLog(storeUrl, file) {
  const args = ['audit', 'export', '--store', storeUrl];
  if (file) args.push('-o', file);
  const r = await cli(args, 'audit export');
  const text = file ? await readFile(file, 'utf8') : r.stdout;
  const lines = text.split('\n').filter(Boolean);
  const entries = lines.map((l) => JSON.parse(l)).filter((l) => l.type === 'entry');
  return { lines, entries };
}

// The entries of one request id, through `cutover audit query --request-id ID`.
export async function queryRequest(storeUrl, id) {
  const r = await cli(['audit', 'query', '--store', storeUrl, '--request-id', id, '--format', 'jsonl'], 'audit query');
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// `cutover audit verify` on a store (or an export with --input): resolves {code, stdout, stderr}.
export function verify(args) {
  return h.runCutover(['audit', 'verify', ...args], { env: ENV, timeoutMs: 60000 });
}

export async function verifyOk(storeUrl, publicKey) {
  const r = await verify(['--store', storeUrl, ...(publicKey ? ['--public-key', publicKey] : [])]);
  assert.equal(r.code, 0, `audit verify failed (exit ${r.code}, signal ${r.signal}):\n${r.stderr}${r.stdout}`);
  assert.match(r.stdout, /^ok: \d+ entries/);
  return r.stdout;
}

// Asserts the export is one chain 1..N without a gap and that every id in `ids` has
// exactly one request entry. Resolves the entries.
export async function assertEveryIdOnce(storeUrl, ids) {
  const { entries } = await exportLog(storeUrl);
  entries.forEach((e, i) => assert.equal(e.seq, i + 1, `entry ${i} has seq ${e.seq}`));
  const count = new Map();
  for (const e of entries) if (e.entry.kind === 'request') count.set(e.entry.request_id, (count.get(e.entry.request_id) ?? 0) + 1);
  const missing = ids.filter((id) => !count.has(id));
  assert.deepEqual(missing, [], `${missing.length} of ${ids.length} answered requests have no entry`);
  const twice = ids.filter((id) => count.get(id) !== 1);
  assert.deepEqual(twice, [], 'request ids with more than one entry');
  return entries;
}
