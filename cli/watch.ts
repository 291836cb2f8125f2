import type { Client, WorkflowHandle } from '@temporalio/client';
import type { CampaignSummary } from '../schemas/results';
import { campaignStatus } from '../client/campaigns';
import { withStoredRecords } from '../client/summary';
import type { ArtifactStore } from '../store/types';
import type { CampaignStatus } from '../workflows/types';
import { makeProgress } from './progress';

const POLL_MS = 1000;
const QUERY_DEADLINE_MS = 5000;

function phaseOf(s: CampaignStatus): string {
  const shards = s.step === 'sample' && s.shards ? ` ${s.shardsDone}/${s.shards} shards` : '';
  const stage = s.stage !== undefined ? ` stage ${s.stage}` : '';
  const paused = s.paused ? ' (paused)' : '';
  return `${s.campaign}: iteration ${s.iteration}/${s.iterations}${stage} ${s.step}${shards}${paused}`;
}

/**
 * Wait for a campaign's result, showing its progress from the status query: a bar on a terminal,
 * a line per change of step otherwise. It settles only once its own calls have: after `signal` aborts, closing the
 * connection is safe.
 */
export async function watchCampaign(
  client: Client, handle: WorkflowHandle, store: ArtifactStore, opts: { quiet?: boolean; signal?: AbortSignal } = {},
): Promise<CampaignSummary> {
  const progress = makeProgress({ quiet: opts.quiet });
  let done = false;
  const poll = (async () => {
    while (!done) {
      try {
        const s = await campaignStatus(client, handle.workflowId, { deadlineMs: QUERY_DEADLINE_MS });
        if (!done) progress.update(phaseOf(s), s.completed, s.iterations);
      } catch {
        // The campaign may be between runs (continue-as-new) or between workers; the next poll will tell.
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  try {
    // An aborted watch cancels its long poll, so that its caller can close the connection with no call in flight
    // (a call that the closing channel fails is retried by the client on a timer, and throws from there).
    const summary = await (opts.signal ? client.connection.withAbortSignal(opts.signal, () => handle.result()) : handle.result()) as CampaignSummary;
    return await withStoredRecords(summary, store);
  } finally {
    done = true;
    await poll;
    progress.stop();
  }
}
