/**
 * One activity per step. Each is thin: validate the envelope, bind a StepContext to the activity (heartbeats,
 * resume, cancellation), call the step function, return its small result. No math here.
 *
 * Timeouts and retries are set by the workflows (workflows/activity-options.ts), where the table lives.
 */
import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/common';
import { ArtifactRefSchema } from '../schemas/artifacts';
import { CampaignSpecSchema, type CampaignSpec } from '../schemas/campaign';
import type { ArtifactRef } from '../schemas/artifacts';
import type { EvalMetrics, IterationRecord } from '../schemas/results';
import type {
  EvaluateInput, FilterInput, FilterOutput, RankInput, RankOutput, SampleShardInput, SampleShardOutput, SetupOutput,
  StepContext, UpdateInput, UpdateOutput,
} from '../engine/steps/types';
import type { ArtifactStore } from '../store/types';
import { resolvePairs } from '../store/records';
import { PairsSegmentSchema, type PairsSegment } from '../schemas/pairs-source';
import type { IterationPlan } from '../schemas/plan';
import type { ComputePlacement } from '../engine/runtime/compute-placement';
import { INVALID_INPUT } from '../schemas/failures';
import { classify, formatZodIssues, parseEnvelope, runStep, specOrFailure, type StepEnvelope } from './context';
import type { StepFunctions } from './step-functions';

/**
 * Fields earlier versions sent, still in recorded histories and in activities they scheduled: accepted (and checked)
 * so those still run, then dropped: a step derives its stage from its plan and rank re-fits its own reward model.
 */
const legacy = { stage: z.number().int().nonnegative().optional() };
const drop = <T extends { stage?: number; rewardModel?: unknown }>({ stage: _stage, rewardModel: _rewardModel, ...rest }: T) => rest;
const SampleShardInputSchema = z.strictObject({
  policy: ArtifactRefSchema, prompts: ArtifactRefSchema, shard: z.number().int().nonnegative(), shards: z.number().int().positive(),
  sampler: z.number().int().nonnegative().optional(), ...legacy,
}).refine((s) => s.shard < s.shards, { message: 'shard must be < shards', path: ['shard'] }).transform(drop);
const RankInputSchema = z.strictObject({ samples: z.array(ArtifactRefSchema).min(1), rewardModel: ArtifactRefSchema.optional(), ...legacy }).transform(drop);
const FilterInputSchema = z.strictObject({ scored: ArtifactRefSchema, ...legacy }).transform(drop);
const UpdateInputSchema = z.strictObject({
  policy: ArtifactRefSchema, reference: ArtifactRefSchema, pairs: z.array(ArtifactRefSchema).min(1, 'update needs at least one pairs artifact'), ...legacy,
}).transform(drop);
const EvaluateInputSchema = z.strictObject({ checkpoint: ArtifactRefSchema, pi0: ArtifactRefSchema });
const EarlierPairsInputSchema = z.object({ segments: z.array(PairsSegmentSchema) });
const RecordInputSchema = z.object({ campaign: z.string().min(1), record: z.object({ iteration: z.number().int().positive() }) });

/** Each step activity's input schema (what parseEnvelope checks), by step. */
export const STEP_INPUT_SCHEMAS = {
  sampleShard: SampleShardInputSchema, rank: RankInputSchema, filter: FilterInputSchema, update: UpdateInputSchema, evaluate: EvaluateInputSchema,
} as const;
const PlanInputSchema = z.object({ spec: CampaignSpecSchema, iteration: z.number().int().positive() });

export interface PlanInput { spec: unknown; iteration: number }

export interface PrefloopActivities {
  /** The campaign's spec with its defaults, or a non-retryable failure listing every problem (local activity). */
  validateSpec(raw: unknown): Promise<CampaignSpec>;
  plan(input: PlanInput): Promise<IterationPlan>;
  setup(envelope: StepEnvelope<Record<string, never>>): Promise<SetupOutput>;
  sampleShard(envelope: StepEnvelope<SampleShardInput>): Promise<SampleShardOutput>;
  rank(envelope: StepEnvelope<RankInput>): Promise<RankOutput>;
  filter(envelope: StepEnvelope<FilterInput>): Promise<FilterOutput>;
  update(envelope: StepEnvelope<UpdateInput>): Promise<UpdateOutput>;
  evaluate(envelope: StepEnvelope<EvaluateInput>): Promise<EvalMetrics>;
  /**
   * Writes a finished iteration's record to the store (`<campaign>/iter-<t>/campaign/record.json`), so the record
   * lives outside the campaign's carried state (local activity; workflows/versions.ts, patch recordsInStore).
   */
  recordIteration(input: { campaign: string; record: IterationRecord }): Promise<ArtifactRef>;
  /**
   * The pairs of a campaign's earlier iterations, in order, from where the campaign says they are (local activity;
   * workflows/versions.ts, patch pairsFromStore): records in the store instead of a list in every iteration's input.
   */
  earlierPairs(input: { segments: PairsSegment[] }): Promise<ArtifactRef[]>;
}

export interface ActivityDeps {
  store: ArtifactStore;
  steps: StepFunctions;
  /** Where the steps' policy compute runs; workers pass 'worker-thread' so heartbeats flow during compute. */
  compute?: ComputePlacement;
}

export function createActivities(deps: ActivityDeps): PrefloopActivities {
  const { steps } = deps;
  /** A step activity: validate the envelope (step input included), then run the step bound to this activity. */
  const stepActivity = <I, O>(step: string, schema: z.ZodType<I>, label: (input: I) => string, call: (ctx: StepContext, input: I) => Promise<O>) =>
    async (raw: StepEnvelope<I>): Promise<O> => {
      const env = parseEnvelope(step, raw, schema);
      return runStep(deps, env, label(env.input), (ctx) => call(ctx, env.input));
    };
  return {
    async validateSpec(raw) {
      return specOrFailure(raw);
    },
    async plan(input) {
      const parsed = PlanInputSchema.safeParse(input);
      if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid input to the plan step: ${formatZodIssues(parsed.error)}`, INVALID_INPUT);
      try {
        return steps.plan(parsed.data.spec, parsed.data.iteration);
      } catch (err) {
        throw classify(err);
      }
    },
    setup: stepActivity('setup', z.object({}), () => 'setup', (ctx) => steps.setup(ctx)),
    sampleShard: stepActivity('sample', SampleShardInputSchema, (i) => `sample-sampler${i.sampler ?? 0}-shard${i.shard}of${i.shards}`, (ctx, i) => steps.sampleShard(ctx, i)),
    rank: stepActivity('rank', RankInputSchema, () => 'rank', (ctx, i) => steps.rank(ctx, i)),
    filter: stepActivity('filter', FilterInputSchema, () => 'filter', (ctx, i) => steps.filter(ctx, i)),
    update: stepActivity('update', UpdateInputSchema, () => 'update', (ctx, i) => steps.update(ctx, i)),
    async recordIteration(input) {
      const parsed = RecordInputSchema.safeParse(input);
      if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid input to recordIteration: ${formatZodIssues(parsed.error)}`, INVALID_INPUT);
      const { campaign, record } = input;
      try {
        return await deps.store.put({ campaign, iteration: record.iteration, step: 'campaign', name: 'record.json' }, new TextEncoder().encode(JSON.stringify(record)), 'application/json');
      } catch (err) {
        throw classify(err);
      }
    },
    async earlierPairs(input) {
      const parsed = EarlierPairsInputSchema.safeParse(input);
      if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid input to earlierPairs: ${formatZodIssues(parsed.error)}`, INVALID_INPUT);
      try {
        return await resolvePairs(deps.store, parsed.data.segments);
      } catch (err) {
        throw classify(err);
      }
    },
    evaluate: stepActivity('evaluate', EvaluateInputSchema, () => 'evaluate', (ctx, i) => steps.evaluate(ctx, i)),
  };
}
