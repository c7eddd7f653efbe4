// A provider key sealed in the store: `cutover secret set` seals it under the master key,
// the state names it, a gateway with the master key sends it upstream, and it appears
// nowhere in the store's documents or the gateway's log.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import * as h from './harness.mjs';

describe('provider keys sealed in the store', () => {
  const UPSTREAM_KEY = h.secret('sk-upstream');
  const CLIENT_KEY = h.secret('sk-client');
  const env = { CUTOVER_MASTER_KEY: randomBytes(32).toString('base64'), UPSTREAM_KEY, CLIENT_KEY };
  let dir, upstream, seen = [], gw, storeUrl;

  before(async () => {
    dir = await h.tempDir();
    // A provider that records the Authorization it receives.
    upstream = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } }));
      });
    });
    await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
    storeUrl = `sqlite://${path.join(dir, 'secrets.db')}`;
    const set = await h.runCutover(['secret', 'set', 'upstream', '--from-env', 'UPSTREAM_KEY', '--store', storeUrl], { env });
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /secret upstream sealed with master key [0-9a-f]{16}/);
    // The audit signing key is sealed under the same (this file's own) master key.
    await h.auditKeygen(storeUrl, { env });
    const file = path.join(dir, 'state.yaml');
    await writeFile(file, h.toYaml({
      providers: [{ name: 'p', base_url: `http://127.0.0.1:${upstream.address().port}/v1`, api_key_secret: 'upstream' }],
      routes: [{ alias: 'chat', targets: [{ provider: 'p', model: 'm' }] }],
      api_keys: [{ id: 'c', key_env: 'CLIENT_KEY' }],
    }));
    const apply = await h.runCutover(['state', 'apply', '-f', file, '--store', storeUrl], { env });
    assert.equal(apply.code, 0, apply.stderr);
  });
  after(async () => {
    await h.cleanup({ procs: [gw].filter(Boolean), dirs: [dir] });
    upstream.close();
  });

  test('the gateway sends the opened key upstream; the key is in no document and no log', async () => {
    gw = await h.startGateway({ listen: '127.0.0.1:0' }, { dir, args: ['--store', storeUrl], env });
    const r = await h.postJson(`${gw.baseUrl}/chat/completions`, { model: 'chat', messages: [{ role: 'user', content: 'x' }] },
      { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    assert.equal(r.status, 200);
    assert.deepEqual(seen, [`Bearer ${UPSTREAM_KEY}`]);
    for (const domain of ['secrets', 'routes', 'identity']) {
      const show = await h.runCutover(['state', 'show', domain, '--store', storeUrl]);
      assert.equal(show.code, 0, show.stderr);
      assert.ok(!show.stdout.includes(UPSTREAM_KEY) && !show.stdout.includes(CLIENT_KEY), `${domain} shows a key`);
    }
    const list = await h.runCutover(['secret', 'list', '--store', storeUrl]);
    assert.match(list.stdout, /^upstream {2}master key [0-9a-f]{16}$/m);
    assert.ok(!gw.lines.join('\n').includes(UPSTREAM_KEY), 'the upstream key reached the log');
  });

  test('without the master key the gateway serves nothing rather than an empty key', async () => {
    const bare = await h.startGateway({ listen: '127.0.0.1:0' }, { dir, args: ['--store', storeUrl], env: { CUTOVER_MASTER_KEY: '' } });
    try {
      const r = await h.postJson(`${bare.baseUrl}/chat/completions`, { model: 'chat', messages: [{ role: 'user', content: 'x' }] },
        { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
      // The state itself does not load (its provider key cannot be opened), before the
      // audit signing key (sealed under the same master key) matters; a gateway that cannot
      // open only the signing key is in audit_entries.test.mjs.
      assert.equal(r.status, 503);
      assert.match((await r.json()).error.message, /no state yet/);
      assert.ok(bare.lines.some((l) => l.includes('master key is unusable')));
    } finally {
      await bare.stop(5000);
    }
  });

  test('a state naming a secret that is not in the store is refused whole', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, h.toYaml({
      providers: [{ name: 'p', base_url: 'http://127.0.0.1:9/v1', api_key_secret: 'nope' }],
      routes: [{ alias: 'chat', targets: [{ provider: 'p', model: 'm' }] }],
    }));
    const r = await h.runCutover(['state', 'apply', '-f', file, '--store', storeUrl], { env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /providers\[0\]\.api_key_secret: no secret 'nope' in the store/);
  });
});
