// Process-level test harness: runs `cutover mock-llm` and `cutover gateway` as child
// processes on loopback ports picked by the kernel (--listen 127.0.0.1:0, port learnt from
// the "listening" log line), writes node configs to a temp dir, and stops everything it
// started by PID (SIGTERM, then SIGKILL after a deadline). Nothing outlives the test file:
// a process 'exit' hook SIGKILLs whatever is still running.
//
// Every process gets CUTOVER_MASTER_KEY = MASTER_KEY (random per test file) unless the test
// passes its own in env: a store-backed gateway needs it to open the audit signing key
// that freshStore() seals into the store with `cutover audit keygen`.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CUTOVER_BIN = process.env.CUTOVER_BIN
  ? path.resolve(process.env.CUTOVER_BIN)
  : path.resolve(here, '../../build/cutover');

// The master key every child process gets (base64 of 32 random bytes), unless its env says otherwise.
export const MASTER_KEY = randomBytes(32).toString('base64');
const childEnv = (env) => ({ ...process.env, CUTOVER_MASTER_KEY: MASTER_KEY, ...env });

const live = new Set();  // every ChildProc not yet known to have exited
process.on('exit', () => {
  for (const p of live) {
    try { process.kill(p.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns a truthy value; throws (with what) after timeoutMs.
export async function until(fn, { timeoutMs = 5000, intervalMs = 25, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` + (last ? `: ${last.message}` : ''));
    await sleep(intervalMs);
  }
}

// Rejects with a clear message if promise does not settle within ms.
export function within(ms, promise, what = 'operation') {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export const secret = (prefix) => `${prefix}-${randomBytes(12).toString('hex')}`;

// A child process whose stdout/stderr are kept line by line.
export class ChildProc {
  constructor(name, args, { env } = {}) {
    this.name = name;
    this.args = args;
    this.lines = [];    // stderr lines (cutover logs JSON lines there)
    this.stdout = '';
    this.exit = null;   // {code, signal} once exited
    this.waiters = [];
    this.child = spawn(CUTOVER_BIN, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(env),
    });
    this.pid = this.child.pid;
    live.add(this);
    let partial = '';
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => {
      partial += chunk;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        this.lines.push(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
      }
      this.notify();
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => { this.stdout += chunk; });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.lines.push(`spawn error: ${err.message}`);
      });
      this.child.on('close', (code, signal) => {
        if (partial) this.lines.push(partial);
        partial = '';
        this.exit = { code, signal };
        live.delete(this);
        this.notify();
        resolve(this.exit);
      });
    });
  }

  notify() {
    for (const w of [...this.waiters]) w();
  }

  get stderr() {
    return this.lines.join('\n');
  }

  // The stderr lines that are JSON objects (cutover's log lines).
  logs() {
    const out = [];
    for (const l of this.lines) {
      if (!l.startsWith('{')) continue;
      try { out.push(JSON.parse(l)); } catch { /* not a log line */ }
    }
    return out;
  }

  // Resolves with the first JSON log line matching pred; rejects on timeout or exit.
  waitForLog(pred, timeoutMs = 10000, what = 'log line') {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.logs().find(pred);
        if (hit) return done(null, hit);
        if (this.exit)
          return done(new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before ${what}\n${this.tail()}`));
      };
      const timer = setTimeout(
        () => done(new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.tail()}`)),
        timeoutMs);
      const done = (err, v) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        err ? reject(err) : resolve(v);
      };
      this.waiters.push(check);
      check();
    });
  }

  tail(n = 40) {
    const t = this.lines.slice(-n).join('\n');
    return `--- ${this.name} (pid ${this.pid}, ${this.args.join(' ')}) last ${n} stderr lines ---\n${t}`;
  }

  signal(sig) {
    if (!this.exit) process.kill(this.pid, sig);
  }

  // SIGTERM, then SIGKILL after deadlineMs. Resolves with {code, signal}.
  async stop(deadlineMs = 5000) {
    if (this.exit) return this.exit;
    try { process.kill(this.pid, 'SIGTERM'); } catch { /* gone */ }
    const t = setTimeout(() => {
      try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone */ }
    }, deadlineMs);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }
}

async function startListening(name, args, { env, readyTimeoutMs = 15000 } = {}) {
  const proc = new ChildProc(name, args, { env });
  try {
    const line = await proc.waitForLog((l) => l.msg === 'listening', readyTimeoutMs, '"listening" line');
    const m = /^(.*):(\d+)$/.exec(line.address ?? '');
    if (!m) throw new Error(`${name}: cannot parse address from ${JSON.stringify(line)}`);
    proc.host = m[1].replace(/^\[|\]$/g, '');
    proc.port = Number(m[2]);
    return proc;
  } catch (e) {
    await proc.stop(1000);
    throw e;
  }
}

// `cutover mock-llm` on a free loopback port. extraArgs: e.g. ['--itl-ms', '20'].
export async function startMock(extraArgs = [], opts = {}) {
  const proc = await startListening('mock-llm',
    ['mock-llm', '--listen', '127.0.0.1:0', '--threads', '2', ...extraArgs], opts);
  proc.url = `http://127.0.0.1:${proc.port}`;
  proc.baseUrl = `${proc.url}/v1`;
  return proc;
}

// A temp dir removed by cleanup().
export async function tempDir(prefix = 'cutover-e2e-') {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

// `cutover gateway` with config (an object, rendered as YAML) written to dir.
export async function startGateway(config, { dir, args = [], env, readyTimeoutMs } = {}) {
  const configPath = path.join(dir, `gateway-${randomBytes(4).toString('hex')}.yaml`);
  await writeFile(configPath, toYaml(config));
  const proc = await startListening('gateway', ['gateway', '--config', configPath, ...args],
    { env, readyTimeoutMs });
  proc.configPath = configPath;
  proc.url = `${config.tls ? 'https' : 'http'}://127.0.0.1:${proc.port}`;
  proc.baseUrl = `${proc.url}/v1`;
  return proc;
}

// Runs the binary to completion (for bad flags / bad config). Resolves {code, signal, stdout, stderr}.
export function runCutover(args, { timeoutMs = 10000, env } = {}) {
  return new Promise((resolve) => {
    execFile(CUTOVER_BIN, args, { timeout: timeoutMs, killSignal: 'SIGKILL', env: childEnv(env) },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
                  signal: err?.signal ?? null, stdout, stderr });
      });
  });
}

// Minimal YAML emitter for configs: block mappings and sequences, JSON-quoted strings.
export function toYaml(value, indent = '') {
  const scalar = (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  const isObj = (v) => v !== null && typeof v === 'object';
  if (!isObj(value)) return `${scalar(value)}\n`;
  let out = '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]\n';
    for (const v of value) {
      if (isObj(v) && !Array.isArray(v) && Object.keys(v).length) {
        const body = toYaml(v, indent + '  ');
        out += `${indent}- ${body.slice(indent.length + 2)}`;
      } else if (isObj(v)) {
        out += `${indent}- ${JSON.stringify(v)}\n`;
      } else {
        out += `${indent}- ${scalar(v)}\n`;
      }
    }
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (isObj(v) && (Array.isArray(v) ? v.length : Object.keys(v).length)) {
      out += `${indent}${k}:\n${toYaml(v, indent + '  ')}`;
    } else if (isObj(v)) {
      out += `${indent}${k}: ${JSON.stringify(v)}\n`;
    } else {
      out += `${indent}${k}: ${scalar(v)}\n`;
    }
  }
  return out;
}

// A gateway config with sensible test defaults; fields of `over` replace the defaults.
export function gatewayConfig(over = {}) {
  return {
    listen: '127.0.0.1:0',
    color: 'blue',
    workers: 2,
    drain_timeout_ms: 5000,
    log: { level: 'info', access: true },
    ...over,
  };
}

// Stops every process given (in parallel) and removes the dirs. Safe to call twice.
export async function cleanup({ procs = [], dirs = [] } = {}) {
  await Promise.all(procs.filter(Boolean).map((p) => p.stop(5000)));
  await Promise.all(dirs.filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
}

// Wraps a test body: on failure, the last stderr lines of the given processes are
// appended to the error so the failing run explains itself.
export function withLogs(getProcs, fn) {
  return async (t) => {
    try {
      return await fn(t);
    } catch (e) {
      const procs = (typeof getProcs === 'function' ? getProcs() : getProcs).filter(Boolean);
      const logs = procs.map((p) => p.tail(30)).join('\n');
      if (e && typeof e === 'object') {
        try { e.message = `${e.message}\n${logs}`; } catch { /* read-only message */ }
      }
      throw e;
    }
  };
}

// --- HTTP helpers -----------------------------------------------------------------------

// fetch with a deadline.
export function get(url, init = {}) {
  return fetch(url, { signal: AbortSignal.timeout(init.timeoutMs ?? 10000), ...init });
}

export function postJson(url, body, { headers = {}, timeoutMs = 15000 } = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
}

// Parses Prometheus text into {series: Map<"name{labels}", value>} with a lookup helper.
export function parseMetrics(text) {
  const series = new Map();
  const types = new Map();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name, type);
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    // name{label="value",...} number, where values escape \\, \" and \n (format 0.0.4).
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`bad metrics line (not Prometheus text format 0.0.4): ${line}`);
    const labels = {};
    if (m[2]) {
      for (const lm of m[2].slice(1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
        labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    series.set(`${m[1]}${m[2] ?? ''}`, { name: m[1], labels, value: Number(m[3]) });
  }
  // Sum of the series named `name` whose labels include every pair of `want`.
  const value = (name, want = {}) => {
    let sum = 0;
    for (const s of series.values())
      if (s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v)) sum += s.value;
    return sum;
  };
  const has = (name) => [...series.values()].some((s) => s.name === name);
  return { series, types, value, has, text };
}

export async function scrape(gw) {
  const res = await get(`${gw.url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

// Metrics are recorded when the gateway finishes a request, which for a stream is just
// after the client saw its last byte; the access log line comes last. Resolves once the
// gateway has logged request `id` (so its metrics are in), with that line.
export function requestDone(gw, id, timeoutMs = 5000) {
  assertId(id);
  return gw.waitForLog((l) => l.msg === 'request' && l.request_id === id, timeoutMs, `access log line of ${id}`);
}
function assertId(id) {
  if (!id) throw new Error('requestDone needs the x-request-id of the request');
}

// Reads an SSE response body (fetch Response) into its data payloads, with arrival times.
export async function readSse(res, { onEvent } = {}) {
  const events = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    let sep;
    while ((sep = buf.search(/\r?\n\r?\n/)) >= 0) {
      const raw = buf.slice(0, sep);
      buf = buf.slice(sep).replace(/^\r?\n\r?\n/, '');
      const data = raw.split(/\r?\n/).filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      if (!data) continue;
      const ev = { data, at: performance.now() };
      events.push(ev);
      if (onEvent) await onEvent(ev, events);
    }
  }
  return events;
}

// --- Raw sockets ------------------------------------------------------------------------

export function connect(port, { host = '127.0.0.1', timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const t = setTimeout(() => { sock.destroy(); reject(new Error('connect timed out')); }, timeoutMs);
    sock.once('connect', () => { clearTimeout(t); resolve(sock); });
    sock.once('error', (e) => { clearTimeout(t); reject(e); });
  });
}

// Collects everything a socket receives until it closes (or timeoutMs). Resolves
// {data, closed, error, elapsedMs}; a reset after data still counts as closed.
export function collect(sock, { timeoutMs = 10000 } = {}) {
  const start = performance.now();
  return new Promise((resolve) => {
    let data = '';
    let error = null;
    const finish = (closed) => {
      clearTimeout(t);
      sock.removeAllListeners('data');
      resolve({ data, closed, error, elapsedMs: performance.now() - start });
    };
    const t = setTimeout(() => finish(false), timeoutMs);
    sock.setEncoding('latin1');
    sock.on('data', (d) => { data += d; });
    sock.on('error', (e) => { error = e; });
    sock.on('close', () => finish(true));
  });
}

// Sends raw bytes on a fresh connection and waits for the server to close it.
export async function rawExchange(port, bytes, { timeoutMs = 10000 } = {}) {
  const sock = await connect(port);
  const done = collect(sock, { timeoutMs });
  sock.write(bytes);
  const r = await done;
  sock.destroy();
  return { ...r, response: parseHttpResponse(r.data) };
}

// Reads one HTTP/1.1 response from a socket that stays open (keep-alive). Resolves the
// parsed response; rejects if the socket closes first or after timeoutMs.
export function readResponse(sock, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    let data = '';
    const cleanup = () => {
      clearTimeout(t);
      sock.off('data', onData);
      sock.off('close', onClose);
    };
    const onData = (d) => {
      data += d;
      const r = parseHttpResponse(data);
      if (r && r.complete) { cleanup(); resolve(r); }
    };
    const onClose = () => { cleanup(); reject(new Error(`connection closed; received ${JSON.stringify(data)}`)); };
    const t = setTimeout(() => { cleanup(); reject(new Error(`no response within ${timeoutMs} ms`)); }, timeoutMs);
    sock.setEncoding('latin1');
    sock.on('data', onData);
    sock.on('close', onClose);
  });
}

// Parses "HTTP/1.1 200 OK\r\nheaders\r\n\r\nbody" (Content-Length bodies only).
export function parseHttpResponse(text) {
  const end = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/') || end < 0) return null;
  const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers = {};
  for (const h of headerLines) {
    const i = h.indexOf(':');
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  const len = Number(headers['content-length'] ?? 0);
  const body = text.slice(end + 4, end + 4 + len);
  return { status, headers, body, complete: body.length >= len };
}

// --- TLS ---------------------------------------------------------------------------------

const openssl = (args) => new Promise((resolve, reject) => {
  execFile('openssl', args, { timeout: 15000 }, (err, stdout, stderr) =>
    (err ? reject(new Error(`openssl ${args[0]}: ${stderr || err.message}`)) : resolve(stdout)));
});

// A test CA and a server certificate it signed for IP 127.0.0.1 (only), made with the
// openssl CLI in d. Resolves {ca, cert, key} (file paths).
export async function makeCerts(d) {
  const p = (f) => path.join(d, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2',
    '-subj', '/CN=cutover e2e test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await openssl(['req', '-new', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'),
    '-subj', '/CN=127.0.0.1']);
  await writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' +
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  await openssl(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'),
    '-CAcreateserial', '-out', p('server.crt'), '-days', '2', '-extfile', p('server.ext')]);
  return { ca: p('ca.crt'), cert: p('server.crt'), key: p('server.key') };
}

// --- Stores -----------------------------------------------------------------------------

// The store backends a suite runs on: SQLite always; PostgreSQL when
// CUTOVER_TEST_POSTGRES_URL is set (scripts/test.sh starts a throwaway server and sets it).
export const POSTGRES_URL = process.env.CUTOVER_TEST_POSTGRES_URL || '';
export const storeBackends = () => (POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite']);
export const postgresSkip = POSTGRES_URL
  ? false
  : 'CUTOVER_TEST_POSTGRES_URL is unset: start one with scripts/postgres-test-server.sh (scripts/test.sh does)';

function psql(url, sql) {
  return new Promise((resolve, reject) => {
    execFile('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { timeout: 15000 },
      (err, stdout, stderr) => (err ? reject(new Error(`psql: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

// `cutover audit keygen` on a store: seals a new audit signing key under the master key
// (MASTER_KEY unless env sets CUTOVER_MASTER_KEY) and writes its public key (hex) to
// publicKeyOut. Without a key, every API request of a gateway on that store gets a 503.
export async function auditKeygen(url, { publicKeyOut, env, timeoutMs = 20000 } = {}) {
  const args = ['audit', 'keygen', '--store', url];
  if (publicKeyOut) args.push('--public-key-out', publicKeyOut);
  const r = await runCutover(args, { env, timeoutMs });
  if (r.code !== 0) throw new Error(`cutover audit keygen failed (exit ${r.code}): ${r.stderr}`);
  return r;
}

// A store of its own for one test: a fresh SQLite file in dir, or a fresh PostgreSQL schema
// with a random name (selected through the URL's search_path). Unless keygen is false it
// gets an audit signing key (auditKeygen; this migrates the store), whose public key file
// is publicKey. Resolves {url, publicKey, drop}.
export async function freshStore(backend, dir, { keygen = true, env } = {}) {
  const id = randomBytes(4).toString('hex');
  let store;
  if (backend === 'sqlite') {
    store = { url: `sqlite://${path.join(dir, `store-${id}.db`)}`, drop: async () => {} };
  } else {
    if (!POSTGRES_URL) throw new Error('freshStore(postgres) needs CUTOVER_TEST_POSTGRES_URL');
    const schema = `e2e_${randomBytes(8).toString('hex')}`;
    await psql(POSTGRES_URL, `CREATE SCHEMA ${schema}`);
    const sep = POSTGRES_URL.includes('?') ? '&' : '?';
    store = {
      url: `${POSTGRES_URL}${sep}options=-csearch_path%3D${schema}`,
      drop: () => psql(POSTGRES_URL, `DROP SCHEMA IF EXISTS ${schema} CASCADE`),
    };
  }
  if (keygen) {
    store.publicKey = path.join(dir, `audit-${id}.pub`);
    try {
      await auditKeygen(store.url, { publicKeyOut: store.publicKey, env });
    } catch (e) {
      await store.drop().catch(() => {});
      throw e;
    }
  }
  return store;
}
