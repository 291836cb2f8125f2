/**
 * What crosses the workflow boundary: campaign input and state, the iteration plan, status and audit records.
 * Only small JSON: artifact refs, metrics and hyper-parameters. Datasets and weights stay in the store.
 */
import type { ArtifactRef, StepFolder } from '../schemas/artifacts';
import type { CampaignSpec } from '../schemas/campaign';
import type { SetupOutput } from '../engine/steps/types';
import type { IterationOutcome } from '../schemas/iteration-wiring';
import type { EvalMetrics, IterationRecord } from '../schemas/results';
import type { BestIteration } from '../schemas/selection';
import type { PairsSegment } from '../schemas/pairs-source';

/** The setup step's output (iteration 0): pi0, prompt pools, offline pairs if any. */
export type SetupRefs = SetupOutput;

/** What iteration t does (engine/plans, pure), handed to the iteration workflow by the `plan` local activity. */
export type { IterationPlan } from '../schemas/plan';

export interface IterationInput {
  campaign: string;
  iteration: number;
  spec: CampaignSpec;
  setup: SetupRefs;
  /** Current policy checkpoint (pi_{t-1}). */
  policy: ArtifactRef;
  /** Pairs of earlier iterations, for `data: accumulate` (empty where `earlierPairs` says where they are). */
  previousPairs: ArtifactRef[];
  /** Where the pairs of earlier iterations are, in campaigns with PATCHES.pairsFromStore: read only if the update needs them. */
  earlierPairs?: PairsSegment[];
}

/** What the next iteration needs from this one: its policy and its new pairs (iterationTrainedSignal). */
export interface IterationTrained {
  iteration: number;
  checkpoint: ArtifactRef;
  pairs: ArtifactRef;
}

/** The iteration workflow's result: what it produced (the record's source), its stage and the update's data. */
export interface IterationOutput extends IterationOutcome {
  /** Stage of the eta schedule (multi-step rejection sampling); 0 otherwise. */
  stage: number;
  /** Every pairs artifact the update trained on, in order. */
  updateData: ArtifactRef[];
}

/** What a campaign or iteration is doing now (its status): a step that writes artifacts, or a phase around them. */
export type StepName = StepFolder | 'plan' | 'iteration' | 'idle';

export interface IterationStatus {
  iteration: number;
  step: StepName;
  stage?: number;
  /** Shards finished / total while sampling. */
  shardsDone: number;
  shards: number;
  paused?: boolean;
}

/** A hyper-parameter patch accepted by `setHyperparameters`, applied from iteration `appliesFrom`. */
export interface HyperparameterChange {
  patch: Record<string, unknown>;
  appliesFrom: number;
  /** Workflow time the update was accepted (ms since epoch). */
  acceptedAt: number;
}

/** Where a forked campaign came from: its iteration 0 is `iteration` of `campaign`. */
export interface ForkOrigin {
  campaign: string;
  iteration: number;
  checkpoint: ArtifactRef;
  patch: Record<string, unknown>;
}

export interface CampaignState {
  spec: CampaignSpec;
  setup?: SetupRefs;
  /** Evaluation of the campaign's starting policy (pi0, or a fork's checkpoint): the summary's `initial`. */
  initial?: EvalMetrics;
  /** Next iteration to run (1-based; iteration 0 is setup). */
  next: number;
  policy?: ArtifactRef;
  /** Pairs of the finished iterations (a fork's inherited ones first); empty where `pairsBase` is set. */
  pairs: ArtifactRef[];
  /**
   * Set in campaigns started with PATCHES.pairsFromStore: the pairs before this campaign's own iterations (a fork's
   * source, as segments); its own are read from its records in the store, so no list grows here.
   */
  pairsBase?: PairsSegment[];
  /** Records of the finished iterations, kept here by campaigns started before PATCHES.boundedRecords only. */
  records: IterationRecord[];
  /**
   * Iterations finished, set in campaigns started with PATCHES.boundedRecords: their records are in the store only
   * (`<campaign>/iter-<t>/campaign/record.json`) and `records` stays empty.
   */
  completed?: number;
  best?: BestIteration;
  labels: number;
  changes: HyperparameterChange[];
  /** Patches accepted but not yet applied (they apply when the next iteration starts). */
  pending: HyperparameterChange[];
  paused: boolean;
  stopAfterIteration: boolean;
  fork?: ForkOrigin;
}

export interface CampaignInput {
  /** The user's spec as written (validated inside the workflow, every problem reported at once). */
  spec: unknown;
  /** Carried across continue-as-new; absent on the first run. */
  state?: CampaignState;
  /** Set by fork(): start from another campaign's iteration instead of running setup; `initial` is its evaluation. */
  fork?: ForkOrigin & {
    setup: SetupRefs; pairs: ArtifactRef[]; initial: EvalMetrics;
    /** The same pairs as segments, where the source's records are in the store (client/fork.ts); preferred to `pairs`. */
    earlierPairs?: PairsSegment[];
  };
}

export interface CampaignStatus {
  campaign: string;
  algorithm: string;
  iterations: number;
  /** The newest iteration running now (or the last one run, when finished). */
  iteration: number;
  step: StepName;
  /**
   * The running iteration's stage and sampling progress: the iteration answers them (iterationStatus), and
   * client/campaigns.ts campaignStatus folds them in; the campaign's own status query leaves them out.
   */
  stage?: number;
  shardsDone?: number;
  shards?: number;
  paused: boolean;
  stopAfterIteration: boolean;
  best?: BestIteration;
  completed: number;
  changes: HyperparameterChange[];
  pending: HyperparameterChange[];
  fork?: ForkOrigin;
}
