/**
 * The one place where the steps reach into the model family: the reward runtime, initial weights, checkpoint
 * encoding and the seeded RNG (policy runtimes are leased from engine/runtime/policy-runtimes.ts, which hosts them).
 * Steps import these from here, so the model family can change in one file.
 */
import type { NamedTensors, ResolvedModelConfig } from '../model/api';
import { initPolicy } from '../model/gpt';
export { zerosLike } from '../model/gpt';
export { rewardRuntimeOn } from '../runtime/hosted';

export { rngFor, streamId } from '../sampling/rng';
export type { Rng } from '../sampling/rng';
export { getCheckpoint, putCheckpoint } from '../checkpoint/stored';
export type { PolicyCheckpoint } from '../checkpoint/checkpoint';

/** Part of pi0's cache key: a pi0 trained by another model family is never reused. */
export const MODEL_FAMILY = 'gpt-ort-v1';

export function initialPolicyWeights(config: ResolvedModelConfig, seed: number): NamedTensors {
  return initPolicy(config, seed);
}
