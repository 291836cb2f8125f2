/**
 * The step contract: what activities call and what the in-process runner calls. One function per step of
 * DESIGN.md's data flow, each a plain async function of (context, small JSON input) -> small JSON output.
 * Outputs are artifacts in the store; only refs and metrics come back.
 */
import type { CampaignSpec } from '../../schemas/campaign';
import type { ArtifactRef } from '../../schemas/artifacts';
import type { EvalMetrics, TrainLog } from '../../schemas/results';
import type { ArtifactStore } from '../../store/types';
import type { ComputePlacement } from '../runtime/compute-placement';
import type { RewardActivityCaller } from '../preference/activity-reward';

export interface StepContext {
  store: ArtifactStore;
  spec: CampaignSpec;
  /** Campaign id (workflow id of the campaign). */
  campaign: string;
  iteration: number;
  /** Called with a small JSON cursor whenever durable progress was made (activities forward it to heartbeat). */
  progress?: (cursor: unknown) => void;
  /** The last cursor reported by a previous attempt, if any (activities pass heartbeatDetails). */
  resumeFrom?: unknown;
  /** Aborted on cancellation; long loops check it between chunks. */
  signal?: AbortSignal;
  /** Where the policy compute runs (engine-parts.ts): 'inline' (default) or 'worker-thread' (Temporal workers). */
  compute?: ComputePlacement;
  /** How an `activity` reward source reaches its worker (Temporal workers provide it; the in-process runner does not). */
  rewardActivity?: RewardActivityCaller;
}

/**
 * Iteration 0: prompts, eval prompts, tokenizer and pi0 (SFT), cached as artifacts. pi0's evaluation is the
 * `evaluate` step of iteration 0, run by the caller (it needs pi0 only, so it can overlap iteration 1's start).
 */
export interface SetupOutput {
  pi0: ArtifactRef;
  trainPrompts: ArtifactRef;
  evalPrompts: ArtifactRef;
  /** Offline pairs D_off, when the algorithm uses them. */
  offlinePairs?: ArtifactRef;
  /** Preference labels D_off cost (counted in the campaign's total). */
  offlineLabels?: number;
  /** A files task's prompts that did not fit the model's context with sampling.maxNewTokens, skipped (files-prompts.ts). */
  skippedPrompts?: { train: number; eval: number };
  /** offline.pairs rows longer than the model's context, skipped (data/pair-tokens.ts). */
  skippedPairs?: number;
}

/**
 * What each step reads: its input below, and (spec, iteration) from the context, from which it derives its plan and
 * stage (plan-of.ts stepPlan) rather than trusting a caller to pass them.
 *
 * `prompts` is the task's training pool (SetupOutput.trainPrompts); the iteration's plan says which slice of it
 * this iteration samples, and `sampler` which of the plan's samplers this call runs (default 0); `policy` must be
 * the checkpoint that sampler names ('current' = the previous iteration's policy, 'initial' = pi0).
 */
export interface SampleShardInput { policy: ArtifactRef; prompts: ArtifactRef; shard: number; shards: number; sampler?: number }
export interface SampleShardOutput { samples: ArtifactRef; rows: number }
/** A bt-model source re-fits r_MLE inside rank from the campaign's earlier pairs, so no reward model is passed in. */
export interface RankInput { samples: ArtifactRef[] }
/** labels: preference labels spent by ranking (0: labels are counted where pairs are made, see FilterOutput). */
export interface RankOutput { scored: ArtifactRef; labels: number }
export interface FilterInput { scored: ArtifactRef }
/** labels: preference labels these pairs cost (one per pair), counted against budget.labelsPerIteration. */
export interface FilterOutput { pairs: ArtifactRef; count: number; labels: number }
export interface UpdateInput { policy: ArtifactRef; reference: ArtifactRef; pairs: ArtifactRef[] }
export interface UpdateOutput { checkpoint: ArtifactRef; train: TrainLog; log: ArtifactRef }
export interface EvaluateInput { checkpoint: ArtifactRef; pi0: ArtifactRef }

/** The step functions (engine/steps/index.ts implements them). */
export interface Steps {
  setup(ctx: StepContext): Promise<SetupOutput>;
  sampleShard(ctx: StepContext, input: SampleShardInput): Promise<SampleShardOutput>;
  rank(ctx: StepContext, input: RankInput): Promise<RankOutput>;
  filter(ctx: StepContext, input: FilterInput): Promise<FilterOutput>;
  update(ctx: StepContext, input: UpdateInput): Promise<UpdateOutput>;
  evaluate(ctx: StepContext, input: EvaluateInput): Promise<EvalMetrics>;
}
