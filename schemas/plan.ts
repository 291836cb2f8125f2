/** What one iteration of an algorithm does, as plain JSON (engine/plans computes it; the workflow receives it from an activity). */
import type { Algorithm, PairStrategy } from './campaign';

export interface SamplerPlan {
  /** 'current' = the policy the previous iteration produced (pi0 at iteration 1); 'initial' = pi0. */
  policy: 'current' | 'initial';
  /** Responses per prompt from this sampler. */
  n: number;
  /** Cycled over the n responses. */
  temperatures: number[];
}

export type FilterPlan =
  | { kind: 'pairs'; strategy: PairStrategy }
  /** Statistical rejection sampling with this temperature, then pairs among the accepted samples. */
  | { kind: 'rejection'; accepted: number; beta: number; strategy: PairStrategy };

export interface UpdatePlan {
  /** Policy the update starts from. */
  init: 'previous' | 'initial';
  /** Pairs of this iteration only, or every iteration's so far. */
  data: 'fresh' | 'accumulate';
  /** Reference policy of the DPO loss. */
  reference: 'initial' | 'previous';
  /** DPO beta of this update (eta of the stage for multi-step rejection sampling). */
  beta: number;
  /** Whether the offline pairs D_off from set-up are part of this update's data. */
  includeOffline: boolean;
}

export interface IterationPlan {
  algorithm: Algorithm;
  /** 1-based. */
  iteration: number;
  /** Stage of the eta schedule (multi-step rejection sampling); 0 otherwise. */
  stage: number;
  /** Slice of the training prompt pool: [offset, offset + count) modulo the pool size. */
  prompts: { offset: number; count: number };
  samplers: SamplerPlan[];
  filter: FilterPlan;
  update: UpdatePlan;
  /** Preference labels this iteration may spend; 0 = unlimited. */
  labelBudget: number;
  /** One line on what the plan fixed and why (for the audit trail). */
  note: string;
}

export interface SetupPlan {
  /** Prompts at the start of the pool whose pi0 samples form D_off (0 = none). */
  offlinePrompts: number;
  offlineSamplers: SamplerPlan[];
  offlineFilter: FilterPlan;
}
