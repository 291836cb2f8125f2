/**
 * The step contract: what activities call and what the in-process runner calls. One function per step of
 * DESIGN.md's data flow, each a plain async function of (context, small JSON input) -> small JSON output.
 * Outputs are artifacts in the store; only refs and metrics come back.
 */
import type { CampaignSpec } from '../../schemas/campaign';
import type { ArtifactRef } from '../../schemas/artifacts';
import type { EvalMetrics, TrainLog } from '../../schemas/results';
import type { ArtifactStore } from '../../store/types';

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
}

/** Iteration 0: prompts, eval prompts, tokenizer and pi0 (SFT), cached as artifacts. */
export interface SetupOutput {
  pi0: ArtifactRef;
  trainPrompts: ArtifactRef;
  evalPrompts: ArtifactRef;
  initialEval: EvalMetrics;
  /** Offline pairs D_off, when the algorithm uses them. */
  offlinePairs?: ArtifactRef;
}

export interface SampleShardInput { policy: ArtifactRef; prompts: ArtifactRef; shard: number; shards: number; stage?: number }
export interface RankInput { samples: ArtifactRef[]; rewardModel?: ArtifactRef; stage?: number }
export interface RankOutput { scored: ArtifactRef; labels: number }
export interface FilterInput { scored: ArtifactRef; stage?: number }
export interface FilterOutput { pairs: ArtifactRef; count: number }
export interface UpdateInput { policy: ArtifactRef; reference: ArtifactRef; pairs: ArtifactRef[]; stage?: number }
export interface UpdateOutput { checkpoint: ArtifactRef; train: TrainLog; log: ArtifactRef }
export interface EvaluateInput { checkpoint: ArtifactRef; pi0: ArtifactRef }
