/**
 * One activity per step. Each is thin: validate the envelope, bind a StepContext to the activity (heartbeats,
 * resume, cancellation), call the step function, return its small result. No math here.
 *
 * Timeouts and retries are set by the workflows (workflows/activity-options.ts), where the table lives.
 */
import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/common';
import { ArtifactRefSchema } from '../schemas/artifacts';
import { CampaignSpecSchema } from '../schemas/campaign';
import type { EvalMetrics } from '../schemas/results';
import type {
  EvaluateInput, FilterInput, FilterOutput, RankInput, RankOutput, SampleShardInput, SampleShardOutput, SetupOutput,
  UpdateInput, UpdateOutput,
} from '../engine/steps/types';
import type { ArtifactStore } from '../store/types';
import type { IterationPlan } from '../engine/plans/types';
import { INVALID_INPUT, formatZodIssues, parseEnvelope, runStep, type StepEnvelope } from './context';
import type { StepFunctions } from './step-functions';

const stage = z.number().int().nonnegative().optional();
const SampleShardInputSchema = z.strictObject({
  policy: ArtifactRefSchema, prompts: ArtifactRefSchema, shard: z.number().int().nonnegative(), shards: z.number().int().positive(), stage,
  sampler: z.number().int().nonnegative().optional(),
}).refine((s) => s.shard < s.shards, { message: 'shard must be < shards', path: ['shard'] });
const RankInputSchema = z.strictObject({ samples: z.array(ArtifactRefSchema).min(1), rewardModel: ArtifactRefSchema.optional(), stage });
const FilterInputSchema = z.strictObject({ scored: ArtifactRefSchema, stage });
const UpdateInputSchema = z.strictObject({
  policy: ArtifactRefSchema, reference: ArtifactRefSchema, pairs: z.array(ArtifactRefSchema).min(1, 'update needs at least one pairs artifact'), stage,
});
const EvaluateInputSchema = z.strictObject({ checkpoint: ArtifactRefSchema, pi0: ArtifactRefSchema });

export interface PlanInput { spec: unknown; iteration: number }

export interface PrefloopActivities {
  plan(input: PlanInput): Promise<IterationPlan>;
  setup(envelope: StepEnvelope<Record<string, never>>): Promise<SetupOutput>;
  sampleShard(envelope: StepEnvelope<SampleShardInput>): Promise<SampleShardOutput>;
  rank(envelope: StepEnvelope<RankInput>): Promise<RankOutput>;
  filter(envelope: StepEnvelope<FilterInput>): Promise<FilterOutput>;
  update(envelope: StepEnvelope<UpdateInput>): Promise<UpdateOutput>;
  evaluate(envelope: StepEnvelope<EvaluateInput>): Promise<EvalMetrics>;
}

export interface ActivityDeps {
  store: ArtifactStore;
  steps: StepFunctions;
}

export function createActivities({ store, steps }: ActivityDeps): PrefloopActivities {
  return {
    async plan(input) {
      const parsed = z.object({ spec: CampaignSpecSchema, iteration: z.number().int().positive() }).safeParse(input);
      if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid input to the plan step: ${formatZodIssues(parsed.error)}`, INVALID_INPUT);
      return steps.plan(parsed.data.spec, parsed.data.iteration);
    },
    async setup(raw) {
      const env = parseEnvelope('setup', raw, z.object({}));
      return runStep(store, env, 'setup', (ctx) => steps.setup(ctx));
    },
    async sampleShard(raw) {
      const env = parseEnvelope('sample', raw, SampleShardInputSchema);
      return runStep(store, env, `sample-sampler${env.input.sampler ?? 0}-shard${env.input.shard}of${env.input.shards}`, (ctx) => steps.sampleShard(ctx, env.input));
    },
    async rank(raw) {
      const env = parseEnvelope('rank', raw, RankInputSchema);
      return runStep(store, env, 'rank', (ctx) => steps.rank(ctx, env.input));
    },
    async filter(raw) {
      const env = parseEnvelope('filter', raw, FilterInputSchema);
      return runStep(store, env, 'filter', (ctx) => steps.filter(ctx, env.input));
    },
    async update(raw) {
      const env = parseEnvelope('update', raw, UpdateInputSchema);
      return runStep(store, env, 'update', (ctx) => steps.update(ctx, env.input));
    },
    async evaluate(raw) {
      const env = parseEnvelope('evaluate', raw, EvaluateInputSchema);
      return runStep(store, env, 'evaluate', (ctx) => steps.evaluate(ctx, env.input));
    },
  };
}
