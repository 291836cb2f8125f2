/**
 * The `activity` reward source: rows of (prompt, response) text go to a Temporal activity that some worker serves on
 * the task queue the spec names (a reward-model server, an LLM judge, a rule-based verifier, in any language), and
 * come back as one reward per row (schemas/reward-activity.ts is the contract). The engine knows nothing of Temporal:
 * the step's context carries a `RewardActivityCaller` that the activities layer provides; the in-process runner has
 * none, and refuses this source.
 *
 * Rows go in batches; a batch whose JSON fits the inline limit travels in the request, a bigger one is written to the
 * store as JSONL and sent by ref. Each batch's call has an id derived from (campaign, iteration, step, batch, content),
 * so a retried step finds the call already made (and its answer) instead of asking the worker again.
 */
import { createHash } from 'node:crypto';
import type { RewardRequest, RewardRequestRow } from '../../schemas/reward-activity';
import { keyPath } from '../../store/keys';
import type { ArtifactStore } from '../../store/types';
import { InvalidInputError } from '../errors';
import { checkRewardResponse, checkUniqueIds, fitsInline, rewardBatches, type RewardWorker } from './activity-contract';

export interface ActivityRewardSource extends RewardWorker {
  /** How long a request may wait for a worker to pick it up before the campaign fails (Temporal duration, e.g. '10m'). */
  scheduleToStartTimeout: string;
  /** How long one request may run on the worker. */
  startToCloseTimeout: string;
}

export interface RewardActivityCall {
  /** Deterministic id of this call: the same batch of the same step asks once. */
  id: string;
  worker: ActivityRewardSource;
  request: RewardRequest;
  /** Campaign id, so that the call can be found from the campaign (status). */
  campaign: string;
}

/** Runs one call and returns the worker's raw answer (checked here, not there). */
export type RewardActivityCaller = (call: RewardActivityCall) => Promise<unknown>;

export interface ActivityRewardContext {
  store: ArtifactStore;
  campaign: string;
  iteration: number;
  /** The asking step ('rank', 'evaluate'); also the store folder of by-ref batches. */
  step: string;
  caller?: RewardActivityCaller;
}

export const ACTIVITY_NEEDS_WORKERS = 'reward.source.kind \'activity\' scores through a Temporal activity, so it runs only in Temporal workers (`prefloop run` with `prefloop worker`), not in the in-process runner';

export async function activityRewards(ctx: ActivityRewardContext, rows: RewardRequestRow[], source: ActivityRewardSource, inlineLimit?: number): Promise<Float64Array> {
  if (!ctx.caller) throw new InvalidInputError(ACTIVITY_NEEDS_WORKERS);
  const out = new Float64Array(rows.length);
  let at = 0;
  const batches = rewardBatches(rows);
  for (let k = 0; k < batches.length; k++) {
    const batch = batches[k];
    const ids = checkUniqueIds(batch);
    const digest = createHash('sha256').update(JSON.stringify(batch)).digest('hex').slice(0, 16);
    const base = { campaign: ctx.campaign, iteration: ctx.iteration, step: ctx.step, count: batch.length };
    let request: RewardRequest;
    if (fitsInline(batch, inlineLimit)) {
      request = { ...base, rows: batch };
    } else {
      const key = { campaign: ctx.campaign, iteration: ctx.iteration, step: ctx.step, name: `reward-requests/batch-${k}-${digest}.jsonl` };
      const ref = (await ctx.store.find(key)) ?? (await ctx.store.putJsonl(key, batch));
      request = { ...base, ref, path: keyPath(ctx.store.root, key) };
    }
    const id = `${ctx.campaign}/iter-${ctx.iteration}/${ctx.step}/reward-${k}-${digest}`;
    const answer = await ctx.caller({ id, worker: source, request, campaign: ctx.campaign });
    out.set(checkRewardResponse(ids, answer, source), at);
    at += batch.length;
  }
  return out;
}
