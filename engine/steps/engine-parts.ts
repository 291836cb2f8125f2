/**
 * The one place where the steps reach into the model family: policy runtime, initial weights, checkpoint
 * encoding and the seeded RNG. Steps import these from here, so the model family can change in one file.
 */
import type { NamedTensors, PolicyRuntime, ResolvedModelConfig, RuntimeOptions } from '../model/api';
import { initPolicy } from '../model/gpt';
import { createPolicyRuntime } from '../model/runtime';
import { hostPolicyRuntime } from '../runtime/hosted';
import { COMPUTE_PLACEMENTS, type ComputePlacement } from './compute-placement';

export { rngFor, streamId } from '../sampling/rng';
export type { Rng } from '../sampling/rng';
export { encodeCheckpoint, decodeCheckpoint, type PolicyCheckpoint } from '../checkpoint/checkpoint';

/** Part of pi0's cache key: a pi0 trained by another model family is never reused. */
export const MODEL_FAMILY = 'gpt-ort-v1';

/** A policy runtime on the thread `placement` names. */
export function createPolicy(config: ResolvedModelConfig, options: RuntimeOptions, placement: ComputePlacement): Promise<PolicyRuntime> {
  if (placement === 'worker-thread') return hostPolicyRuntime(config, options);
  if (placement === 'inline') return createPolicyRuntime(config, options);
  throw new Error(`compute placement '${String(placement)}' is not one of ${COMPUTE_PLACEMENTS.join(', ')}`);
}

export function initialPolicyWeights(config: ResolvedModelConfig, seed: number): NamedTensors {
  return initPolicy(config, seed);
}
