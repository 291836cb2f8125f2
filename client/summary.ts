/**
 * A campaign's summary with every iteration's record. Campaigns with bounded state (workflows/versions.ts,
 * boundedRecords) return a summary that names how many records the store holds instead of listing them, so that
 * neither their carried state nor their result grows with the iteration count; every reader (report, status, watch,
 * demo, fork) goes through here and sees them all.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { CampaignSummary } from '../schemas/results';
import { storedRecords } from '../store/records';
import type { ArtifactStore } from '../store/types';

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
