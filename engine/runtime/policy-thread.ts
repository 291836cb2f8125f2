/**
 * What a compute thread hosts (policy-runtimes.ts): the model runtime module, and with it ONNX Runtime, loads when
 * the thread starts, which is most of a thread's start-up; the policy runtime for a model config is built when a
 * step takes the thread (init). So a worker process can start one thread ahead of need (prewarmPolicyThread) and its
 * first step does not pay the start.
 *
 * Training states live in ordinary memory: a state handed over (TrainCallOptions.consume) is moved here by the call
 * and its result moved back (workerHost transfers results), so neither way copies it, and ORT reads it as is
 * (shared memory it refuses, which would cost a copy of the weights per step). A training call first releases the
 * resident weights (resident-weights.ts): training needs the memory. Weights for sampling and scoring come copied,
 * or moved when the caller hands them over (WeightsCallOptions.consume), and are kept here either way.
 */
import type { PolicyRuntime, ResolvedModelConfig, RuntimeOptions, SampleOptions } from '../model/api';
import { createPolicyRuntime } from '../model/runtime';
import { residentStore, type WeightsRef } from './resident-weights';

export type ThreadPolicyRuntime = Omit<PolicyRuntime, 'config'> & {
  /** sample() on weights named by a WeightsRef (see resident-weights.ts). */
  sampleResident(weights: WeightsRef, prompts: number[][], options: SampleOptions): Promise<number[][]>;
  /** sequenceLogprobs() on weights named by a WeightsRef. */
  sequenceLogprobsResident(weights: WeightsRef, prompts: number[][], responses: number[][]): Promise<Float64Array>;
  /** Drops every resident weights set (the caller's mirror does the same when it sends this). */
  releaseResident(): void;
  /** How many weights sets are resident (for tests and diagnostics). */
  residentCount(): number;
  /** Builds the runtime this thread computes with; once per thread. Returns its (validated) config. */
  init(config: ResolvedModelConfig, options: RuntimeOptions): Promise<ResolvedModelConfig>;
};

export function createThreadPolicyRuntime(): ThreadPolicyRuntime {
  let runtime: PolicyRuntime | undefined;
  const resident = residentStore();
  const built = (method: string): PolicyRuntime => {
    if (!runtime) throw new Error(`policy thread: ${method}() before init()`);
    return runtime;
  };
  /** The runtime for a training call, with the resident weights released first (the caller's mirror did the same). */
  const training = (method: string): PolicyRuntime => {
    resident.release();
    return built(method);
  };
  return {
    async init(config, options) {
      if (runtime) throw new Error('policy thread: init() called twice');
      runtime = await createPolicyRuntime(config, options);
      return { ...runtime.config };
    },
    // Resolved before the call awaits anything: the caller's mirror assumes arrival order (resident-weights.ts).
    sampleResident: (ref, ...a) => {
      const weights = resident.weights(ref);
      return built('sample').sample(weights, ...a);
    },
    sequenceLogprobsResident: (ref, ...a) => {
      const weights = resident.weights(ref);
      return built('sequenceLogprobs').sequenceLogprobs(weights, ...a);
    },
    releaseResident: () => resident.release(),
    residentCount: () => resident.count(),
    sample: (...a) => built('sample').sample(...a),
    sequenceLogprobs: (...a) => built('sequenceLogprobs').sequenceLogprobs(...a),
    sftStep: (...a) => training('sftStep').sftStep(...a),
    sftSteps: (...a) => training('sftSteps').sftSteps(...a),
    preferenceStep: (...a) => training('preferenceStep').preferenceStep(...a),
    preferenceSteps: (...a) => training('preferenceSteps').preferenceSteps(...a),
    async dispose() {
      await runtime?.dispose();
    },
  };
}
