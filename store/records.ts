/**
 * Reading a campaign's iteration records back from the store (`<campaign>/iter-<t>/campaign/record.json`, written by
 * the campaign's recordIteration local activity): the summary of a bounded-state campaign and the pairs of its earlier
 * iterations (schemas/pairs-source.ts) come from them.
 */
import type { ArtifactRef } from '../schemas/artifacts';
import type { PairsSegment } from '../schemas/pairs-source';
import type { IterationRecord } from '../schemas/results';
import type { ArtifactStore } from './types';

/** The store key of iteration t's record. */
export const recordKey = (campaign: string, iteration: number) => ({ campaign, iteration, step: 'campaign', name: 'record.json' });

/** How the attempt journal (`<campaign>/iter-<t>/attempts/`) names a finished attempt's StepRecord (activities/context.ts). */
export const STEP_RECORD_SUFFIX = '.done.json';

const READ_CONCURRENCY = 32;

/** Records of iterations 1..count of `campaign`, in order; a missing one is an error naming it and the store. */
export async function storedRecords(store: ArtifactStore, campaign: string, count: number): Promise<IterationRecord[]> {
  if (count === 0) return [];
  // One manifest read for all of them (find() would read it once per record).
  const refs = new Map<number, ArtifactRef>();
  for (const { key, ref } of await store.list(campaign)) if (key.step === 'campaign' && key.name === 'record.json') refs.set(key.iteration, ref);
  const wanted = Array.from({ length: count }, (_, i) => i + 1);
  const missing = wanted.filter((t) => !refs.has(t));
  if (missing.length) {
    throw new Error(`the records of ${campaign}'s iterations ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''} are not in the store at ${store.root}: `
      + 'use the store the campaign\'s workers write to (--store, or PREFLOOP_STORE)');
  }
  const out = new Array<IterationRecord>(count);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) out[i] = JSON.parse(Buffer.from(await store.get(refs.get(wanted[i])!)).toString('utf8')) as IterationRecord;
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, count) }, lane));
  return out;
}

/** The pairs refs the segments stand for, in order (what the campaign used to list for each iteration). */
export async function resolvePairs(store: ArtifactStore, segments: readonly PairsSegment[]): Promise<ArtifactRef[]> {
  const out: ArtifactRef[] = [];
  for (const segment of segments) {
    if ('refs' in segment) out.push(...segment.refs);
    else out.push(...(await storedRecords(store, segment.campaign, segment.through)).map((r) => r.artifacts.pairs));
  }
  return out;
}
