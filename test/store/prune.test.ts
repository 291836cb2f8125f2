/**
 * Pruning (`prefloop gc`): a tombstone per version goes to the manifest before the bytes go, so the store never
 * lists what is gone, reads of a pruned ref fail as pruned (when, why), never as missing or corrupt, and the key can
 * be written again. The keep policy and what counts as prunable bulk are checked here too.
 */
import { parseKeep, prunable } from '../../client/gc';
import { describeBackends, storedName } from './backends';

const key = (iteration: number, step: string, name: string) => ({ campaign: 'c', iteration, step, name });

describeBackends('prune', (current) => test('a pruned key is gone from list and find, its refs read as pruned, its old versions go too, and it can be written again', async () => {
  const backend = current();
  {
    const store = backend.open();
    const samples = await store.putJsonl(key(1, 'sample', 's.jsonl'), [{ a: 1 }, { a: 2 }]);
    const v1 = await store.put(key(1, 'update', 'policy.safetensors'), new Uint8Array([1, 2, 3]), 'application/vnd.safetensors');
    const v2 = await store.put(key(1, 'update', 'policy.safetensors'), new Uint8Array([4, 5]), 'application/vnd.safetensors');
    const out = await store.put(key(1, 'update', 'output.json'), new TextEncoder().encode('{}'), 'application/json');

    expect((await store.prune(key(1, 'update', 'policy.safetensors'), 'gc test')).map((r) => r.sha256).sort()).toEqual([v1.sha256, v2.sha256].sort());
    expect(await store.prune(key(1, 'sample', 's.jsonl'), 'gc test')).toEqual([samples]);
    // Pruning again finds nothing left to prune.
    expect(await store.prune(key(1, 'sample', 's.jsonl'), 'gc test')).toEqual([]);

    expect((await store.list('c')).map(({ ref }) => ref.uri)).toEqual([out.uri]);
    expect(await store.find(key(1, 'update', 'policy.safetensors'))).toBeUndefined();
    for (const ref of [v1, v2]) {
      await expect(store.get(ref)).rejects.toMatchObject({ name: 'ArtifactPrunedError', message: expect.stringMatching(/^artifact store:\/\/c\/iter-1\/update\/policy\.safetensors .* was pruned at \d{4}-.*Z \(gc test\)/) });
    }
    const rows = async () => { for await (const row of store.readJsonl(samples)) void row; };
    await expect(rows()).rejects.toMatchObject({ name: 'ArtifactPrunedError' });
    expect(await backend.stored('c', 1, 'update')).toEqual([storedName(out)]);

    const pruned = await store.pruned('c');
    expect(pruned.map((p) => [p.key.name, p.ref.sha256, p.reason])).toEqual(expect.arrayContaining([
      ['policy.safetensors', v1.sha256, 'gc test'], ['policy.safetensors', v2.sha256, 'gc test'], ['s.jsonl', samples.sha256, 'gc test'],
    ]));
    // Every tombstone precedes nothing: the manifest is append-only, the writes' lines are still there.
    const manifest = await backend.manifest('c');
    expect(manifest.filter((e) => e.pruned === undefined)).toHaveLength(4);
    expect(manifest.filter((e) => e.pruned !== undefined)).toHaveLength(3);

    // A re-run of the step writes the key again: found, listed and readable, and not a "replaced" version.
    const again = await store.put(key(1, 'update', 'policy.safetensors'), new Uint8Array([4, 5]), 'application/vnd.safetensors');
    expect(await store.find(key(1, 'update', 'policy.safetensors'))).toEqual(again);
    expect(Buffer.from(await store.get(again))).toEqual(Buffer.from([4, 5]));
  }
}));

test('--keep grammar and what gc may prune', () => {
  expect(parseKeep('best,last,every:10,3')).toEqual({ best: true, last: true, every: 10, iterations: [3] });
  expect(() => parseKeep('best,sometimes')).toThrow(/"sometimes" is not best, last, every:N .* e\.g\. --keep best,last,every:10/);
  expect(() => parseKeep('every:0')).toThrow(/"every:0"/);
  const ref = (mediaType: string) => ({ uri: 'store://c/iter-1/x/y', sha256: 'a'.repeat(64), bytes: 1, mediaType });
  expect(prunable(key(1, 'sample', 's.jsonl'), ref('application/x-ndjson'))).toBe(true);
  expect(prunable(key(1, 'rank', 'scored.jsonl'), ref('application/x-ndjson'))).toBe(true);
  expect(prunable(key(1, 'filter', 'pairs.jsonl'), ref('application/x-ndjson'))).toBe(true);
  expect(prunable(key(1, 'update', 'policy.safetensors'), ref('application/vnd.safetensors'))).toBe(true);
  // Kept: set-up, outputs, training logs (the report's curves), evaluations, the attempt journal.
  expect(prunable(key(0, 'setup', 'train-prompts.jsonl'), ref('application/x-ndjson'))).toBe(false);
  expect(prunable(key(1, 'update', 'train-log.jsonl'), ref('application/x-ndjson'))).toBe(false);
  expect(prunable(key(1, 'update', 'output.json'), ref('application/json'))).toBe(false);
  expect(prunable(key(1, 'evaluate', 'eval-x.json'), ref('application/json'))).toBe(false);
  expect(prunable(key(1, 'attempts', 'update-attempt1.json'), ref('application/json'))).toBe(false);
});
