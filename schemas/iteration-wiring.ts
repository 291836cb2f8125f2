/**
 * One iteration's wiring, shared by the iteration workflow (workflows/iteration.ts) and the in-process runner
 * (engine/runner/run-campaign.ts), so that both make the same calls and keep the same record: which policy each
 * (sampler, shard) samples from, what the update starts from, trains on and regularises towards, and the iteration
 * record the campaign keeps. Pure and free of run-time imports: the workflow bundle includes it.
 */
import type { ArtifactRef } from './artifacts';
import type { CampaignSpec } from './campaign';
import type { IterationPlan } from './plan';
import type { EvalMetrics, IterationRecord, TrainLog } from './results';

/** What iteration t starts from. */
export interface IterationStart {
  pi0: ArtifactRef;
  /** pi_{t-1}: the previous iteration's policy (pi0 at iteration 1, a fork's checkpoint in a fork). */
  policy: ArtifactRef;
  /** The training prompt pool (the plan says which slice of it this iteration samples). */
  trainPrompts: ArtifactRef;
  /** D_off from set-up, when the algorithm has one. */
  offlinePairs?: ArtifactRef;
  /** Pairs of iterations 1..t-1, in order. */
  previousPairs: ArtifactRef[];
}

/** The input of one sampleShard call (engine/steps/types.ts SampleShardInput). */
export interface ShardCall { policy: ArtifactRef; prompts: ArtifactRef; shard: number; shards: number; sampler: number }

/** The input of the update call (engine/steps/types.ts UpdateInput). */
export interface UpdateCall { policy: ArtifactRef; reference: ArtifactRef; pairs: ArtifactRef[] }

/** Every (sampler, shard) sampling call of the iteration, sampler by sampler: each is its own activity. */
export function sampleShardCalls(plan: IterationPlan, shards: number, start: IterationStart): ShardCall[] {
  return plan.samplers.flatMap((sampler, samplerIndex) => Array.from({ length: shards }, (_, shard) => ({
    policy: sampler.policy === 'initial' ? start.pi0 : start.policy,
    prompts: start.trainPrompts, shard, shards, sampler: samplerIndex,
  })));
}

/** The update of the iteration whose filter wrote `pairs`: D_off if included, earlier pairs if accumulated, then these. */
export function updateCall(plan: IterationPlan, start: IterationStart, pairs: ArtifactRef): UpdateCall {
  return {
    policy: plan.update.init === 'initial' ? start.pi0 : start.policy,
    reference: plan.update.reference === 'initial' ? start.pi0 : start.policy,
    pairs: [
      ...(plan.update.includeOffline && start.offlinePairs ? [start.offlinePairs] : []),
      ...(plan.update.data === 'accumulate' ? start.previousPairs : []),
      pairs,
    ],
  };
}

/** What an iteration produced (the iteration workflow's result carries these fields). */
export interface IterationOutcome {
  iteration: number;
  plan: IterationPlan;
  samples: ArtifactRef[];
  scored: ArtifactRef;
  /** This iteration's new pairs. */
  pairs: ArtifactRef;
  checkpoint: ArtifactRef;
  /** The update's per-step log (JSONL of TrainLog rows). */
  trainLog: ArtifactRef;
  train: TrainLog;
  eval: EvalMetrics;
  /** Preference labels spent (rank + filter). */
  labels: number;
  pairCount: number;
  seconds: number;
}

/**
 * The record the campaign keeps of an iteration, from what it produced and the spec it ran with. Kept small: every
 * record is carried across continue-as-new and returned in the summary; the full spec in effect is in the audit.
 */
export function iterationRecord(out: IterationOutcome, spec: CampaignSpec): IterationRecord {
  const artifacts: Record<string, ArtifactRef> = { scored: out.scored, pairs: out.pairs, checkpoint: out.checkpoint, log: out.trainLog };
  out.samples.forEach((ref, i) => { artifacts[`samples${i}`] = ref; });
  return {
    iteration: out.iteration,
    artifacts,
    train: out.train,
    eval: out.eval,
    labels: out.labels,
    pairs: out.pairCount,
    seconds: out.seconds,
    // What decides this iteration's update.
    hyperparameters: { plan: out.plan, update: spec.update, reward: spec.reward, pairs: spec.pairs, reference: spec.reference },
  };
}
