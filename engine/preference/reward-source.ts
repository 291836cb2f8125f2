/**
 * A reward source: where the rank step's rewards come from, and who decides which response of a pair the filter
 * picked is chosen. The spec's reward.source.kind selects one, in one place (sources/index.ts); each kind is one file
 * beside it, so a new kind is one more file and one more line there.
 */
import type { ArtifactKey } from '../../schemas/artifacts';
import type { ArtifactStore } from '../../store/types';
import type { ResolvedModelConfig, RewardRuntime } from '../model/api';
import type { Rng } from '../sampling/rng';
import type { RewardActivityCaller } from './activity-reward';
import type { Task } from '../tasks/types';
import type { Pair, Sample, ScoredSample } from './types';
import type { PromptValue } from '../data/messages';

/** What a source may read and write while it scores one iteration's samples (the rank step provides it). */
export interface RewardContext {
  readonly task: Task;
  /** The iteration being ranked (0: the offline pairs D_off of setup). */
  readonly iteration: number;
  /** The asking step: 'rank' scores samples for pairs, 'evaluate' scores held-out responses (no labels, no fits). */
  readonly step: 'rank' | 'evaluate';
  /** Which prompt pool the samples' promptIndex points into. */
  readonly split: 'train' | 'eval';
  /** Campaign id (activity calls are named after it). */
  readonly campaign: string;
  readonly store: ArtifactStore;
  /** The key of the rank step's artifact `name` at `iteration` (default: this one). */
  key(name: string, iteration?: number): ArtifactKey;
  /** Intra-op threads a session the source opens may use (execution.threads). */
  readonly threads: number;
  /** The labeler's random stream for prompt group `group` (one per group and stage). */
  groupRng(group: number): Rng;
  /** One stream for a whole model fit (its init seed, then its minibatch order), apart from every group's. */
  fitRng(): Rng;
  /** Every preference pair the campaign collected before this iteration (D_off included). */
  preferencesSoFar(): Promise<Pair[]>;
  /** The policy's trunk, which a neural reward model shares. */
  modelConfig(): ResolvedModelConfig;
  /** A reward runtime on the thread the step's compute runs on; the caller disposes it. */
  rewardRuntime(config: ResolvedModelConfig): Promise<RewardRuntime>;
  /** How an `activity` source reaches its worker (Temporal workers provide it; the in-process runner does not). */
  readonly rewardActivity?: RewardActivityCaller;
  /** Throws when the step was cancelled; long fits call it between steps. */
  checkAborted(): void;
}

/** Who decided which response is chosen (a pair's provenance.labeler). */
export type Labeler = Pair['provenance']['labeler'];

export interface LabeledPair { chosen: ScoredSample; rejected: ScoredSample; labeler: Labeler }

export interface RewardSource {
  /**
   * Each prompt group's rewards, sample by sample, before the length penalty. `rater[g][i]` is what the labeler
   * perceives of groups[g][i] (task.raterReward), which simulated-human sources draw from.
   */
  score(groups: Sample[][], rater: number[][], ctx: RewardContext): Promise<number[][]>;
  /**
   * The label of a pair picked on the rewards (`chosen` has the higher reward): a source whose rewards are themselves
   * the labels keeps the order; one that only ranks asks its labeler, drawing from `rng` (the group's filter stream).
   */
  label(chosen: ScoredSample, rejected: ScoredSample, rng: Rng): LabeledPair;
  /** Checks of the files the spec names, before any compute (setup's early check), given the store root. */
  checkFiles?(storeRoot: string): Promise<void>;
}

/** The label of a source whose rewards decide the pair. */
export function rewardDecides(chosen: ScoredSample, rejected: ScoredSample): LabeledPair {
  return { chosen, rejected, labeler: 'reward' };
}

/**
 * The prompt a text-reading source (a reward model directory, a reward worker) is shown: as the user wrote it on a
 * files task (text or messages), else the task's rendering of the prompt's tokens.
 */
export function promptOf(ctx: RewardContext, sample: Sample): PromptValue {
  return ctx.task.promptSource?.(ctx.split, sample.promptIndex) ?? ctx.task.render(sample.prompt);
}
