// What an auditor holding the public key can check without trusting the operator: an
// export from the real CLI verifies, every manipulation of it fails naming the right seq,
// the hashes follow from docs/AUDIT.md alone, and inclusion and consistency proofs check
// offline (a changed byte does not). On SQLite: the export is the same on both backends.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as h from './harness.mjs';
import * as a from './audit_common.mjs';

let dir, mock, gw, store, exported, lines;
const sizes = [];  // checkpoints signed with `cutover audit checkpoint`, oldest first
const test = (name, fn) => it(name, { timeout: 60000 }, h.withLogs(() => [gw, mock], fn));

before(async () => {
  dir = await h.tempDir('cutover-audit-tamper-');
  mock = await h.startMock();
  store = await a.storeWithState('sqlite', dir, mock);
  gw = await h.startGateway(h.gatewayConfig(), { dir, args: ['--store', store.url] });
  for (const n of [5, 5, 3]) {
    for (let i = 0; i < n; i++) assert.equal((await a.chat(gw)).status, 200);
    const cp = await a.cli(['audit', 'checkpoint', '--store', store.url], 'audit checkpoint');
    sizes.push(Number(/checkpoint of size (\d+)/.exec(cp.stdout)[1]));
  }
  await gw.stop();
  exported = path.join(dir, 'log.jsonl');
  lines = (await a.exportLog(store.url, exported)).lines;
});
after(() => h.cleanup({ procs: [gw, mock], dirs: [dir] }));

const parsed = (l) => JSON.parse(l);
const find = (type, key, value) => lines.findIndex((l) => { const o = parsed(l); return o.type === type && o[key] === value; });
const flipHex = (s, at) => s.slice(0, at) + (s[at] === '0' ? '1' : '0') + s.slice(at + 1);
// The canonical bytes of an entry line (its last member, verbatim: JSON numbers of
// nanoseconds do not survive JSON.parse in JavaScript).
const rawEntry = (l) => l.slice(l.lastIndexOf(',"entry":') + ',"entry":'.length, -1);
// docs/AUDIT.md: hash_n = SHA-256("cutover-audit-v1" || 0x00 || hash_{n-1} || canonical(entry_n)).
const chainHash = (prevHex, canonical) => createHash('sha256').update('cutover-audit-v1\0')
  .update(Buffer.from(prevHex, 'hex')).update(canonical).digest('hex');

async function verifyFile(name, fileLines, extra = []) {
  const file = path.join(dir, `${name}.jsonl`);
  await writeFile(file, `${fileLines.join('\n')}\n`);
  return a.verify(['--input', file, '--public-key', store.publicKey, ...extra]);
}

test('the untouched export verifies; its hashes follow from the spec alone', async () => {
  const r = await a.verify(['--input', exported, '--public-key', store.publicKey]);
  assert.equal(r.code, 0, r.stderr);
  const total = sizes[sizes.length - 1];
  assert.match(r.stdout, new RegExp(`^ok: ${total} entries \\(seq 1\\.\\.${total}\\), \\d+ signed heads, \\d+ checkpoints \\(latest size ${total}\\)`));
  let prev = '0'.repeat(64);
  for (const l of lines.filter((x) => parsed(x).type === 'entry')) {
    const e = parsed(l);
    assert.equal(e.prev_hash, prev, `seq ${e.seq} links to the previous hash`);
    assert.equal(chainHash(prev, rawEntry(l)), e.hash, `seq ${e.seq}: hash recomputed from docs/AUDIT.md`);
    prev = e.hash;
  }
});

test('every manipulation of the export is caught, naming the right seq', async () => {
  const [, mid, last] = sizes;  // checkpoints at mid and last; seq 8 lies between the first two
  const at = (seq) => find('entry', 'seq', seq);
  const edit = (i, f) => { const m = [...lines]; m[i] = f(m[i]); return m; };
  const cases = {
    'edit a field': [edit(at(8), (l) => l.replace(/"tokens_out":(\d+)/, (_, n) => `"tokens_out":${Number(n) + 1}`)),
      8, /hash mismatch/],
    'flip one byte of a digest': [edit(at(8), (l) => l.replace(/"request_sha256":"(.)/, (_, c) => `"request_sha256":"${c === '0' ? '1' : '0'}`)),
      8, /hash mismatch/],
    'delete an entry line': [lines.filter((_, i) => i !== at(8)), 8, /seq 8/],
    'delete an entry and its signed head': [lines.filter((_, i) => i !== at(8) && i !== find('head', 'seq', 8)), 8, /missing seq 8/],
    'duplicate an entry line': [lines.flatMap((l, i) => (i === at(8) ? [l, l] : [l])), 8, /duplicate or out-of-order seq 8/],
    'swap two entry lines': [edit(at(8), () => lines[at(9)]).map((l, i) => (i === at(9) ? lines[at(8)] : l)), 8, /missing seq 8/],
    'break a signed head\'s signature': [edit(find('head', 'seq', 9), (l) => {
      const o = parsed(l);
      return l.replace(o.signature, `${o.signature.slice(0, 10)}${o.signature[10] === 'A' ? 'B' : 'A'}${o.signature.slice(11)}`);
    }), 9, /bad signature on the chain head/],
    // The entries after the checkpoint of size `mid` are gone; the last checkpoint stays.
    'drop the tail after a checkpoint line, keep the last checkpoint': [
      [...lines.slice(0, find('checkpoint', 'size', mid) + 1), lines[find('checkpoint', 'size', last)]],
      mid + 1, new RegExp(`truncated tail: a checkpoint of size ${last} was signed, but the log ends at seq ${mid}`)],
    'replay: an older checkpoint line after a newer one': [(() => {
      const old = lines[find('checkpoint', 'size', sizes[0])];
      const m = lines.filter((l) => l !== old);
      m.splice(m.indexOf(lines[find('checkpoint', 'size', mid)]) + 1, 0, old);
      return m;
    })(), sizes[0], new RegExp(`checkpoint of size ${sizes[0]} after one of size ${mid}: an older checkpoint replayed`)],
  };
  for (const [what, [fileLines, seq, why]] of Object.entries(cases)) {
    const r = await verifyFile(what.replace(/\W+/g, '-'), fileLines);
    assert.equal(r.code, 1, `${what}: verify passed:\n${r.stdout}`);
    assert.match(r.stderr, new RegExp(`^cutover audit verify: FAILED at seq ${seq}: `), what);
    assert.match(r.stderr, why, what);
  }
});

test('a cut-off export verifies alone, but not against a checkpoint kept from later', async () => {
  const [, mid, last] = sizes;
  const cut = lines.slice(0, find('checkpoint', 'size', mid) + 1);
  const alone = await verifyFile('cut', cut);
  assert.equal(alone.code, 0, alone.stderr);  // indistinguishable from an export made earlier
  const kept = path.join(dir, 'kept.note');
  await writeFile(kept, parsed(lines[find('checkpoint', 'size', last)]).note);
  const r = await verifyFile('cut', cut, ['--checkpoint', kept]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, new RegExp(`latest checkpoint \\(size ${mid}\\) is older than the trusted one \\(size ${last}\\)`));
  // Rough edge (reported): this names seq `mid`, the last entry that is there, where the
  // truncated-tail case above names mid + 1, the first one missing. Not asserted.
  assert.match(r.stderr, /^cutover audit verify: FAILED at seq \d+: /);
  const full = await a.verify(['--input', exported, '--public-key', store.publicKey, '--checkpoint', kept]);
  assert.equal(full.code, 0, full.stderr);
});

test('an edit with every hash recomputed down the chain still fails at the signed head', async () => {
  const m = [...lines];
  let prev = null;
  let first = true;
  for (let i = find('entry', 'seq', 8); i < m.length; i++) {
    const o = parsed(m[i]);
    if (o.type !== 'entry') continue;
    let raw = rawEntry(m[i]);
    if (first) raw = raw.replace(/"tokens_out":(\d+)/, (_, n) => `"tokens_out":${Number(n) + 1}`);
    first = false;
    const prevHash = prev ?? o.prev_hash;
    const hash = chainHash(prevHash, raw);
    m[i] = `${m[i].slice(0, m[i].lastIndexOf(',"entry":'))},"entry":${raw}}`
      .replace(`"prev_hash":"${o.prev_hash}"`, `"prev_hash":"${prevHash}"`).replace(`"hash":"${o.hash}"`, `"hash":"${hash}"`);
    prev = hash;
  }
  const r = await verifyFile('rehashed', m);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /^cutover audit verify: FAILED at seq 8: the signed chain head at seq 8 does not match the chain/);
});

test('inclusion and consistency proofs check offline; a changed byte does not', async () => {
  const [first, , last] = sizes;
  const check = async (name, text, keys = [store.publicKey]) => {
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, text);
    return h.runCutover(['audit', 'check-proof', file, ...keys.flatMap((k) => ['--public-key', k])]);
  };
  const stranger = path.join(dir, 'stranger.pub');
  await writeFile(stranger, `${'cd'.repeat(32)}\n`);

  const prove = await a.cli(['audit', 'prove', '7', '--store', store.url], 'audit prove');
  const proof = JSON.parse(prove.stdout);
  assert.equal(proof.type, 'inclusion');
  assert.equal(proof.tree_size, last);
  assert.equal(proof.entry_hash, parsed(lines[find('entry', 'seq', 7)]).hash);
  assert.ok(proof.proof.length >= 2);
  const good = await check('inclusion', prove.stdout);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, new RegExp(`^ok: entry ${proof.entry_hash} is leaf 6 of the signed tree of size ${last}`));

  const consistency = await a.cli(['audit', 'consistency', String(first), String(last), '--store', store.url], 'audit consistency');
  const cproof = JSON.parse(consistency.stdout);
  assert.equal(cproof.type, 'consistency');
  const cgood = await check('consistency', consistency.stdout);
  assert.equal(cgood.code, 0, cgood.stderr);
  assert.match(cgood.stdout, new RegExp(`^ok: the tree of size ${last} extends the tree of size ${first}`));

  const changed = {
    'inclusion: a proof hash': [proof, (p) => ({ ...p, proof: [flipHex(p.proof[0], 5), ...p.proof.slice(1)] })],
    'inclusion: the entry hash': [proof, (p) => ({ ...p, entry_hash: flipHex(p.entry_hash, 0) })],
    'inclusion: the leaf index': [proof, (p) => ({ ...p, leaf_index: p.leaf_index + 1 })],
    'inclusion: the checkpoint root': [proof, (p) => {
      const note = p.checkpoint.split('\n');  // origin, size, root (base64), '', signature
      note[2] = `${note[2][0] === 'A' ? 'B' : 'A'}${note[2].slice(1)}`;
      return { ...p, checkpoint: note.join('\n') };
    }],
    'consistency: a proof hash': [cproof, (p) => ({ ...p, proof: [flipHex(p.proof[0], 63), ...p.proof.slice(1)] })],
    'consistency: the old checkpoint': [cproof, (p) => ({ ...p, old_checkpoint: p.old_checkpoint.replace(String(first), String(first + 1)) })],
  };
  for (const [what, [orig, change]] of Object.entries(changed)) {
    const r = await check(what.replace(/\W+/g, '-'), JSON.stringify(change(orig)));
    assert.equal(r.code, 1, `${what}: check-proof passed:\n${r.stdout}`);
    assert.match(r.stderr, /^cutover audit check-proof: /, what);
  }
  for (const [what, text] of [['inclusion', prove.stdout], ['consistency', consistency.stdout]]) {
    const r = await check(`${what}-stranger`, text, [stranger]);
    assert.equal(r.code, 1, `${what} checked with a key that did not sign it:\n${r.stdout}`);
  }
});
