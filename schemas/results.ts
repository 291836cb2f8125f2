import { z } from 'zod';
import { ArtifactRefSchema } from './artifacts';

/** Evaluation of one checkpoint on held-out prompts. Exact fields are present on enumerable tasks. */
export const EvalMetricsSchema = z.object({
  reward: z.number(),
  /** Standard error of the sampled reward (evaluation by the reward source, without a gold reward). */
  rewardStderr: z.number().optional(),
  kl: z.number(),
  /** Standard error of the KL estimate; 0 when exact. */
  klStderr: z.number(),
  J: z.number(),
  JStderr: z.number().optional(),
  /** J(pi*) - J, where J(pi*) = eta * E_x log Z(x) is exact. */
  gap: z.number().optional(),
  Jstar: z.number().optional(),
  winRateVsInitial: z.number(),
  winRateStderr: z.number().optional(),
  /** Mean response length in tokens (words on the built-in text task). */
  responseLength: z.number(),
  /** Mean response length in characters (sampled evaluation). */
  responseChars: z.number().optional(),
  exact: z.boolean(),
});
export type EvalMetrics = z.infer<typeof EvalMetricsSchema>;

/** Per-optimizer-step training log (standard DPO trainer names) plus the step number and lr. */
export const TrainLogSchema = z.record(z.string(), z.number());
export type TrainLog = z.infer<typeof TrainLogSchema>;

export const IterationRecordSchema = z.object({
  iteration: z.number().int().nonnegative(),
  artifacts: z.record(z.string(), ArtifactRefSchema),
  /** Final-step training metrics averaged over the last epoch. */
  train: TrainLogSchema,
  eval: EvalMetricsSchema,
  labels: z.number().int().nonnegative(),
  pairs: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  hyperparameters: z.record(z.string(), z.unknown()),
});
export type IterationRecord = z.infer<typeof IterationRecordSchema>;

export const CampaignSummarySchema = z.object({
  campaign: z.string(),
  algorithm: z.string(),
  initial: EvalMetricsSchema,
  iterations: z.array(IterationRecordSchema),
  /**
   * Set by campaigns with bounded state (workflows/versions.ts, boundedRecords): the records of iterations 1..n are
   * in the store (`<campaign>/iter-<t>/campaign/record.json`), not in `iterations`; client/summary.ts reads them in.
   */
  recordsInStore: z.number().int().nonnegative().optional(),
  bestIteration: z.number().int().nonnegative(),
  finalCheckpoint: ArtifactRefSchema,
  labels: z.number().int().nonnegative(),
  stoppedEarly: z.boolean(),
});
export type CampaignSummary = z.infer<typeof CampaignSummarySchema>;
