/**
 * The artifact store's contract, on every backend (backends.ts): the local directory and S3 on a real server.
 */
import { createHash } from 'node:crypto';
import { ArtifactCorruptError, ArtifactMissingError, InvalidArtifactKeyError } from '../../store/errors';
import type { ArtifactKey } from '../../schemas/artifacts';
import type { ArtifactStore } from '../../store/types';
import { describeBackends, storedName, type Backend } from './backends';

const key = (name = 'pairs.jsonl', step = 'filter', iteration = 2): ArtifactKey => ({ campaign: 'camp-1', iteration, step, name });
const bytes = (s: string) => new Uint8Array(Buffer.from(s));
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describeBackends('ArtifactStore', (current) => {
  let backend: Backend;
  let store: ArtifactStore;
  beforeEach(() => {
    backend = current();
    store = backend.open();
  });
  const manifestLines = () => backend.manifest('camp-1');

  test('put stores <campaign>/iter-<t>/<step>/<name> and returns a verifiable ref', async () => {
    const ref = await store.put(key('policy.safetensors', 'update'), bytes('weights'), 'application/vnd.safetensors');
    expect(ref).toEqual({
      uri: 'store://camp-1/iter-2/update/policy.safetensors',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      bytes: 7, mediaType: 'application/vnd.safetensors',
    });
    expect(ref.sha256).toBe(createHash('sha256').update('weights').digest('hex'));
    expect((await backend.raw(ref)).toString('utf8')).toBe('weights');
    expect(await backend.stored('camp-1', 2, 'update')).toEqual([storedName(ref)]);
    expect(Buffer.from(await store.get(ref)).toString()).toBe('weights');
    expect(await store.find(key('policy.safetensors', 'update'))).toEqual(ref);
    expect(await store.find(key('other'))).toBeUndefined();
  });

  test('putJsonl streams rows from sync and async iterables; readJsonl gives them back', async () => {
    const rows = [{ prompt: 'a', chosen: 'x', rejected: 'y' }, { prompt: 'line\nbreak', chosen: '\u2028', rejected: '' }];
    const ref = await store.putJsonl(key(), rows);
    expect(ref).toMatchObject({ rows: 2, mediaType: 'application/x-ndjson' });
    expect(await collect(store.readJsonl(ref))).toEqual(rows);
    async function* gen() { for (let i = 0; i < 3; i++) yield { i }; }
    const ref2 = await store.putJsonl(key('async.jsonl'), gen());
    expect(ref2.rows).toBe(3);
    expect(await collect(store.readJsonl(ref2))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    const empty = await store.putJsonl(key('empty.jsonl'), []);
    expect(empty).toMatchObject({ rows: 0, bytes: 0 });
    expect(await collect(store.readJsonl(empty))).toEqual([]);
  });

  test('re-putting identical content returns the same ref and adds no manifest line', async () => {
    const a = await store.putJsonl(key(), [{ x: 1 }]);
    const b = await store.putJsonl(key(), [{ x: 1 }]);
    expect(b).toEqual(a);
    expect(await manifestLines()).toHaveLength(1);
  });

  test('different content for a finished key replaces it; the old ref stays readable; both are in the manifest', async () => {
    const old = await store.putJsonl(key(), [{ v: 'old' }]);
    const next = await store.putJsonl(key(), [{ v: 'new' }, { v: 'newer' }]);
    expect(next.sha256).not.toBe(old.sha256);
    expect(next.uri).toBe(old.uri);
    expect(await store.find(key())).toEqual(next);
    expect(await collect(store.readJsonl(old))).toEqual([{ v: 'old' }]);
    expect(await collect(store.readJsonl(next))).toEqual([{ v: 'new' }, { v: 'newer' }]);
    expect((await manifestLines()).map((l) => [l.ref.sha256, l.replaced])).toEqual([[old.sha256, undefined], [next.sha256, old.sha256]]);
    expect(await store.list('camp-1')).toEqual([{ key: key(), ref: next }]);
  });

  test('a flipped byte is detected by get, readJsonl and find; re-putting heals it', async () => {
    const ref = await store.putJsonl(key(), [{ a: 1 }, { b: 2 }]);
    await backend.corrupt(ref, 3);
    const err = await store.get(ref).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactCorruptError);
    expect(err.name).toBe('ArtifactCorruptError');
    expect(err.message).toContain(ref.uri);
    expect(err.message).toContain(`expected sha256 ${ref.sha256}`);
    const actual = createHash('sha256').update(await backend.raw(ref)).digest('hex');
    expect(err.message).toContain(`found ${actual}`);
    await expect(collect(store.readJsonl(ref))).rejects.toThrow(ArtifactCorruptError);
    expect(await store.find(key())).toBeUndefined();
    expect(await store.putJsonl(key(), [{ a: 1 }, { b: 2 }])).toEqual(ref);
    expect(await collect(store.readJsonl(ref))).toEqual([{ a: 1 }, { b: 2 }]);
  });

  test('a flipped byte in the last row is still caught by readJsonl, after the rows', async () => {
    const ref = await store.putJsonl(key(), [{ a: 1 }, { b: 22 }]);
    await backend.corrupt(ref, 14);
    const seen: unknown[] = [];
    await expect((async () => { for await (const r of store.readJsonl(ref)) seen.push(r); })()).rejects.toThrow(ArtifactCorruptError);
    // The flip turned 22 into 23: still valid JSON, so only the hash can tell.
    expect(seen).toEqual([{ a: 1 }, { b: 23 }]);
  });

  test('putChunks streams chunks from sync and async iterables into the same artifact put would write; getChunks reads it back', async () => {
    const parts = ['wei', '', 'ghts and', ' moments'].map(bytes);
    const whole = await store.put(key('a.safetensors', 'update'), Buffer.concat(parts), 'application/vnd.safetensors');
    const viaSync = await store.putChunks(key('b.safetensors', 'update'), parts, 'application/vnd.safetensors');
    async function* later() { for (const p of parts) { await new Promise((r) => setImmediate(r)); yield p; } }
    const viaAsync = await store.putChunks(key('c.safetensors', 'update'), later(), 'application/vnd.safetensors');
    for (const ref of [viaSync, viaAsync]) {
      expect({ ...ref, uri: '' }).toEqual({ ...whole, uri: '' });
      expect(Buffer.concat(await collect(store.getChunks(ref))).toString()).toBe('weights and moments');
      expect(Buffer.from(await store.get(ref)).toString()).toBe('weights and moments');
    }
    // Identical content again is the same ref, without a new manifest line.
    const lines = (await manifestLines()).length;
    expect(await store.putChunks(key('b.safetensors', 'update'), parts, 'application/vnd.safetensors')).toEqual(viaSync);
    expect(await manifestLines()).toHaveLength(lines);
  });

  test('getChunks hands out the bytes and fails at the end of the stream when a byte was flipped', async () => {
    const ref = await store.putChunks(key('c.safetensors', 'update'), [bytes('0123456789')], 'application/vnd.safetensors');
    await backend.corrupt(ref, 8);
    const seen: Uint8Array[] = [];
    const err = await (async () => { for await (const c of store.getChunks(ref)) seen.push(c); })().catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactCorruptError);
    expect(err.message).toContain(ref.uri);
    expect(Buffer.concat(seen)).toHaveLength(10);
    await backend.remove(ref);
    await expect(collect(store.getChunks(ref))).rejects.toThrow(ArtifactMissingError);
  });

  test('a missing artifact is ArtifactMissingError naming uri and where it was', async () => {
    const ref = await store.put(key('x.bin'), bytes('x'), 'application/octet-stream');
    await backend.remove(ref);
    const err = await store.get(ref).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactMissingError);
    expect(err.message).toContain(ref.uri);
    await expect(collect(store.readJsonl(ref))).rejects.toThrow(ArtifactMissingError);
    expect(await store.find(key('x.bin'))).toBeUndefined();
  });

  test('a malformed ref or non-JSON content is a clear error', async () => {
    await expect(store.get({ uri: 'store://camp-1/iter-2/filter/x', sha256: 'abc', bytes: 1, mediaType: 'x' })).rejects.toThrow(/invalid artifact ref .*sha256/);
    const ref = await store.put(key('bad.jsonl'), bytes('{"a":1}\nnot json\n'), 'application/x-ndjson');
    await expect(collect(store.readJsonl(ref))).rejects.toThrow(`artifact ${ref.uri} line 2 is not JSON`);
  });

  test('a row that cannot be serialized fails the write and leaves nothing behind', async () => {
    const old = await store.putJsonl(key(), [{ ok: true }]);
    await expect(store.putJsonl(key(), [{ ok: true }, undefined])).rejects.toThrow('row 1 of store://camp-1/iter-2/filter/pairs.jsonl is not JSON-serializable');
    async function* failing() { yield { a: 1 }; throw new Error('sampler crashed'); }
    await expect(store.putJsonl(key(), failing())).rejects.toThrow('sampler crashed');
    expect(await backend.stored('camp-1', 2, 'filter')).toEqual([storedName(old)]);
    expect(await store.find(key())).toEqual(old);
  });

  test('a torn manifest line (crash mid-append) is ignored', async () => {
    const ref = await store.putJsonl(key(), [{ a: 1 }]);
    await backend.tearManifest('camp-1');
    expect(await store.find(key())).toEqual(ref);
    expect(await store.list('camp-1')).toHaveLength(1);
  });

  test('concurrent writers of different keys in one campaign all land in the manifest', async () => {
    const refs = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putJsonl(key(`shard-${i}.jsonl`, 'sample', i % 3), [{ shard: i }])));
    const listed = await store.list('camp-1');
    expect(listed.map((e) => e.ref).sort((a, b) => a.uri.localeCompare(b.uri))).toEqual([...refs].sort((a, b) => a.uri.localeCompare(b.uri)));
    for (const ref of refs) expect(await collect(store.readJsonl(ref))).toHaveLength(1);
  });

  test('list returns the latest ref of every finished key, in write order', async () => {
    const a = await store.putJsonl(key('a.jsonl'), [{ a: 1 }]);
    const b = await store.put(key('ckpt/step-20.safetensors', 'update', 3), bytes('w'), 'application/vnd.safetensors');
    expect(b.uri).toBe('store://camp-1/iter-3/update/ckpt/step-20.safetensors');
    expect(await store.list('camp-1')).toEqual([{ key: key('a.jsonl'), ref: a }, { key: key('ckpt/step-20.safetensors', 'update', 3), ref: b }]);
    expect(await store.list('nothing-here')).toEqual([]);
    await expect(store.list('../etc')).rejects.toThrow(InvalidArtifactKeyError);
  });

  test('a checkpoint larger than a multipart part (5 MiB in these tests) round-trips whole and verified', async () => {
    const big = new Uint8Array(12 << 20).map((_, i) => (i * 31) % 251);
    const ref = await store.put(key('policy.safetensors', 'update', 4), big, 'application/vnd.safetensors');
    expect(ref.bytes).toBe(12 << 20);
    expect(Buffer.from(await store.get(ref)).equals(Buffer.from(big))).toBe(true);
    expect(await store.find(key('policy.safetensors', 'update', 4))).toEqual(ref);
    await backend.corrupt(ref, 9 << 20);
    await expect(store.get(ref)).rejects.toThrow(ArtifactCorruptError);
  });
});
