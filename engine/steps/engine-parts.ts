/**
 * The one place where the steps reach into the model family: policy and reward runtimes, initial weights,
 * checkpoint encoding and the seeded RNG. Steps import these from here, so the model family can change in one file.
 */
import type { NamedTensors, PolicyRuntime, ResolvedModelConfig, RewardRuntime, RuntimeOptions } from '../model/api';
import { initPolicy } from '../model/gpt';
export { zerosLike } from '../model/gpt';
import { createRewardRuntime } from '../model/reward-runtime';
import { createPolicyRuntime } from '../model/runtime';
import { hostRewardRuntime } from '../runtime/hosted';
import type { ComputePlacement } from './compute-placement';

export { rngFor, streamId } from '../sampling/rng';
export type { Rng } from '../sampling/rng';
export { encodeCheckpoint, decodeCheckpoint, type PolicyCheckpoint } from '../checkpoint/checkpoint';

/** Part of pi0's cache key: a pi0 trained by another model family is never reused. */
export const MODEL_FAMILY = 'gpt-ort-v1';

/** A policy runtime on the caller's thread (worker-thread runtimes come from policy-thread.ts). */
export function createPolicy(config: ResolvedModelConfig, options: RuntimeOptions): Promise<PolicyRuntime> {
  return createPolicyRuntime(config, options);
}

export function initialPolicyWeights(config: ResolvedModelConfig, seed: number): NamedTensors {
  return initPolicy(config, seed);
}

/** A reward runtime on the thread `placement` names: off the event loop in Temporal workers, like the policy. */
export function rewardRuntimeOn(placement: ComputePlacement, config: ResolvedModelConfig, options: RuntimeOptions): Promise<RewardRuntime> {
  return placement === 'worker-thread' ? hostRewardRuntime(config, options) : createRewardRuntime(config, options);
}
