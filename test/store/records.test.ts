/**
 * Iteration records read back from the store (store/records.ts): a bounded-state campaign's summary and the pairs of
 * earlier iterations handed as segments (explicit refs, then "iterations 1..through of a campaign", a fork's source
 * first) give the same refs, in the same order, as the lists they replace; a missing record is an error naming it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ArtifactRef } from '../../schemas/artifacts';
import type { IterationRecord } from '../../schemas/results';
import { LocalArtifactStore } from '../../store/local';
import { recordKey, resolvePairs, storedRecords } from '../../store/records';

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-records-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function campaignWithRecords(store: LocalArtifactStore, campaign: string, count: number): Promise<{ records: IterationRecord[]; pairs: ArtifactRef[] }> {
  const records: IterationRecord[] = [];
  const pairs: ArtifactRef[] = [];
  // Written out of order, as two iterations in flight may finish: the reader still returns 1..count in order.
  for (const t of Array.from({ length: count }, (_, i) => count - i)) {
    const p = await store.putJsonl({ campaign, iteration: t, step: 'filter', name: 'pairs.jsonl' }, [{ t }]);
    const record = { iteration: t, artifacts: { pairs: p }, train: {}, eval: { reward: t, kl: 0, klStderr: 0, J: t, winRateVsInitial: 0.5, responseLength: 2, exact: true }, labels: 1, pairs: 1, seconds: 0, hyperparameters: {} };
    await store.put(recordKey(campaign, t), new TextEncoder().encode(JSON.stringify(record)), 'application/json');
    records[t - 1] = record;
    pairs[t - 1] = p;
  }
  return { records, pairs };
}

test('records 1..n come back in order, and segments resolve to the pairs lists they stand for', async () => {
  const store = new LocalArtifactStore(dir);
  const source = await campaignWithRecords(store, 'source', 12);
  const fork = await campaignWithRecords(store, 'fork', 3);
  expect(await storedRecords(store, 'source', 12)).toEqual(source.records);
  expect(await storedRecords(store, 'source', 0)).toEqual([]);
  // A fork of source at iteration 8, handed 1..7 as records and 8's pairs explicitly, at its iteration 4.
  const resolved = await resolvePairs(store, [{ campaign: 'source', through: 7 }, { refs: [source.pairs[7]] }, { campaign: 'fork', through: 3 }]);
  expect(resolved).toEqual([...source.pairs.slice(0, 8), ...fork.pairs]);
  expect(await resolvePairs(store, [])).toEqual([]);
});

test('a record missing from the store is an error naming the campaign, the iteration and the store', async () => {
  const store = new LocalArtifactStore(dir);
  await campaignWithRecords(store, 'short', 2);
  await expect(storedRecords(store, 'short', 3)).rejects.toThrow(`the records of short's iterations 3 are not in the store at ${store.root}`);
});
