/**
 * The RewardContext (engine/preference/reward-source.ts) a step gives the campaign's reward source: rank scores the
 * iteration's samples (train prompts), evaluate the held-out responses of the policy and pi0 (eval prompts).
 */
import type { Pair } from '../preference/types';
import type { RewardContext } from '../preference/reward-source';
import type { Task } from '../tasks';
import { checkAborted, keyOf, resolvedModelConfig, rngOf } from './common';
import { rewardRuntimeOn } from './engine-parts';
import type { StepContext } from './types';

export interface RewardContextOptions {
  step: 'rank' | 'evaluate';
  split: 'train' | 'eval';
  /** The labeler streams' stage (rank: the plan's stage). */
  stage: number;
  /** Every preference pair before this iteration; evaluate fits nothing, so it has none. */
  preferencesSoFar?: () => Promise<Pair[]>;
}

export function rewardContextOf(ctx: StepContext, task: Task, o: RewardContextOptions): RewardContext {
  const { provider, fallback, threads } = ctx.spec.execution;
  return {
    task,
    iteration: ctx.iteration,
    step: o.step,
    split: o.split,
    campaign: ctx.campaign,
    store: ctx.store,
    key: (name, iteration = ctx.iteration) => keyOf(ctx, o.step, name, iteration),
    threads,
    groupRng: (group) => rngOf(ctx, o.step, o.stage, group),
    fitRng: () => rngOf(ctx, o.step, 0),
    preferencesSoFar: o.preferencesSoFar ?? (async () => []),
    modelConfig: () => resolvedModelConfig(ctx.spec, task),
    rewardRuntime: (config) => rewardRuntimeOn(ctx.compute ?? 'inline', config, { provider, fallback, threads }),
    rewardActivity: ctx.rewardActivity,
    checkAborted: () => checkAborted(ctx),
  };
}
