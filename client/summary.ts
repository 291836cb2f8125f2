/**
 * A campaign's summary with every iteration's record. Campaigns with bounded state (workflows/versions.ts,
 * boundedRecords) return a summary that names how many records the store holds instead of listing them, so that
 * neither their carried state nor their result grows with the iteration count; every reader (report, status, watch,
 * demo, fork) goes through here and sees them all.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { ArtifactRef } from '../schemas/artifacts';
import type { CampaignSummary, IterationRecord } from '../schemas/results';
import type { ArtifactStore } from '../store/types';
import { mapLimit } from './audit';

/** The store key of iteration t's record (written by the campaign's recordIteration local activity). */
export const recordKey = (campaign: string, iteration: number) => ({ campaign, iteration, step: 'campaign', name: 'record.json' });

/** Records of iterations 1..count of `campaign`, in order, from the store; a missing one is an error naming it. */
export async function storedRecords(store: ArtifactStore, campaign: string, count: number): Promise<IterationRecord[]> {
  if (count === 0) return [];
  const refs = new Map<number, ArtifactRef>();
  for (const { key, ref } of await store.list(campaign)) if (key.step === 'campaign' && key.name === 'record.json') refs.set(key.iteration, ref);
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((t) => !refs.has(t));
  if (missing.length) {
    throw new Error(`the records of ${campaign}'s iterations ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''} are not in the store at ${store.root}: `
      + 'pass the store the campaign\'s workers write to (--store, or PREFLOOP_STORE)');
  }
  return mapLimit(Array.from({ length: count }, (_, i) => i + 1), 32, async (t) => {
    return JSON.parse(Buffer.from(await store.get(refs.get(t)!)).toString('utf8')) as IterationRecord;
  });
}

/** The summary with `iterations` listing every record (those kept in the store read in); others are returned as is. */
export async function withStoredRecords(summary: CampaignSummary, store: ArtifactStore): Promise<CampaignSummary> {
  if (summary.recordsInStore === undefined) return summary;
  const { recordsInStore, ...rest } = summary;
  return { ...rest, iterations: [...summary.iterations, ...await storedRecords(store, summary.campaign, recordsInStore)] };
}

/** A finished campaign's result with every record: `handle.result()` for readers of `iterations`. */
export async function summaryOf(handle: Pick<WorkflowHandle, 'result'>, store: ArtifactStore): Promise<CampaignSummary> {
  return withStoredRecords(await handle.result() as CampaignSummary, store);
}
