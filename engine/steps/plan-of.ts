/** The plan a step follows: iteration 0 is set-up (D_off from pi0), iterations 1..T follow the algorithm's plan. */
import type { CampaignSpec } from '../../schemas/campaign';
import { iterationPlan, setupPlan } from '../plans/plan';
import type { FilterPlan, SamplerPlan } from '../../schemas/plan';

export interface StepPlan {
  prompts: { offset: number; count: number };
  samplers: SamplerPlan[];
  filter: FilterPlan;
  labelBudget: number;
  stage: number;
  /** DPO beta of the update. */
  beta: number;
}

export function stepPlan(spec: CampaignSpec, iteration: number): StepPlan {
  if (iteration === 0) {
    const s = setupPlan(spec);
    return { prompts: { offset: 0, count: s.offlinePrompts }, samplers: s.offlineSamplers, filter: s.offlineFilter, labelBudget: 0, stage: 0, beta: spec.update.beta };
  }
  const p = iterationPlan(spec, iteration);
  return { prompts: p.prompts, samplers: p.samplers, filter: p.filter, labelBudget: p.labelBudget, stage: p.stage, beta: p.update.beta };
}
