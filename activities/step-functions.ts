/**
 * The step functions the activities adapt (engine/steps) plus the iteration plan (engine/plans), named once so
 * that a worker can be handed another implementation without the activities knowing.
 */
import type { Steps } from '../engine/steps/types';
import type { IterationPlan } from '../schemas/plan';
import type { CampaignSpec } from '../schemas/campaign';

export interface StepFunctions extends Steps {
  /** What iteration t does for the spec's algorithm (pure). */
  plan(spec: CampaignSpec, iteration: number): IterationPlan;
}
