/**
 * What a compute thread hosts (policy-runtimes.ts): the model runtime module, and with it ONNX Runtime, loads when
 * the thread starts, which is most of a thread's start-up; the policy runtime for a model config is built when a
 * step takes the thread (init). So a worker process can start one thread ahead of need (prewarmPolicyThread) and its
 * first step does not pay the start. Training steps return their state in shared memory (shared-state.ts).
 */
import type { PolicyRuntime, ResolvedModelConfig, RuntimeOptions, SampleOptions } from '../model/api';
import { createPolicyRuntime } from '../model/runtime';
import { residentStore, type WeightsRef } from './resident-weights';
import { sharedState as shared } from './shared-state';

export type ThreadPolicyRuntime = Omit<PolicyRuntime, 'config'> & {
  /** sample() on weights named by a WeightsRef (see resident-weights.ts). */
  sampleResident(weights: WeightsRef, prompts: number[][], options: SampleOptions): Promise<number[][]>;
  /** sequenceLogprobs() on weights named by a WeightsRef. */
  sequenceLogprobsResident(weights: WeightsRef, prompts: number[][], responses: number[][]): Promise<Float64Array>;
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
  return {
    async init(config, options) {
      if (runtime) throw new Error('policy thread: init() called twice');
      runtime = await createPolicyRuntime(config, options);
      return { ...runtime.config };
    },
    // Resolved before the call awaits anything: the caller's mirror assumes arrival order (resident-weights.ts).
    sampleResident: (ref, ...a) => {
      const weights = resident(ref);
      return built('sample').sample(weights, ...a);
    },
    sequenceLogprobsResident: (ref, ...a) => {
      const weights = resident(ref);
      return built('sequenceLogprobs').sequenceLogprobs(weights, ...a);
    },
    sample: (...a) => built('sample').sample(...a),
    sequenceLogprobs: (...a) => built('sequenceLogprobs').sequenceLogprobs(...a),
    sftStep: async (state, ...a) => {
      const out = await built('sftStep').sftStep(state, ...a);
      return { ...out, state: shared(out.state) };
    },
    sftSteps: async (state, ...a) => {
      const out = await built('sftSteps').sftSteps(state, ...a);
      return { ...out, state: shared(out.state) };
    },
    preferenceStep: async (state, ...a) => {
      const out = await built('preferenceStep').preferenceStep(state, ...a);
      return { ...out, state: shared(out.state) };
    },
    preferenceSteps: async (state, ...a) => {
      const out = await built('preferenceSteps').preferenceSteps(state, ...a);
      return { ...out, state: shared(out.state) };
    },
    async dispose() {
      await runtime?.dispose();
    },
  };
}
