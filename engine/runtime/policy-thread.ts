/**
 * What a compute thread hosts (policy-runtimes.ts): the model runtime module, and with it ONNX Runtime, loads when
 * the thread starts, which is most of a thread's start-up; the policy runtime for a model config is built when a
 * step takes the thread (init). So a worker process can start one thread ahead of need (prewarmPolicyThread) and its
 * first step does not pay the start. Training steps return their state in shared memory (see shared()).
 */
import type { NamedTensors, PolicyRuntime, ResolvedModelConfig, RuntimeOptions, SampleOptions, TrainState } from '../model/api';
import { createPolicyRuntime } from '../model/runtime';
import { residentStore, type WeightsRef } from './resident-weights';

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

/**
 * A training state whose tensors live in one SharedArrayBuffer. A training loop hands each step's state to the
 * next step: a plain state is copied to this thread on every call (weights and both AdamW moments), a shared one
 * is not. The caller owns it as before: nothing here keeps a reference once the step has returned, and no step
 * writes into it unless the caller handed it over (TrainCallOptions.consume: the steps then update it in place and
 * it comes back as it is, so a training loop that hands its state over copies none per call). ONNX Runtime does not take shared memory as input, so a step copies what it feeds from it: the
 * weights once for its training-graph runs, the optimizer's inputs a slice at a time (accumulate.ts,
 * adamw-slices.ts), instead of the whole state.
 */
function shared(state: TrainState): TrainState {
  const parts = [state.weights, state.m, state.v];
  // A consumed shared state (TrainCallOptions.consume) was updated where it lies: it goes back as it is, no copy.
  if (parts.every((tensors) => [...tensors.values()].every((t) => t.data.buffer instanceof SharedArrayBuffer))) return state;
  let floats = 0;
  for (const tensors of parts) for (const t of tensors.values()) floats += t.data.length;
  const memory = new SharedArrayBuffer(floats * Float32Array.BYTES_PER_ELEMENT);
  let offset = 0;
  const copy = (tensors: NamedTensors): NamedTensors => {
    const out: NamedTensors = new Map();
    for (const [name, t] of tensors) {
      const data = new Float32Array(memory, offset * Float32Array.BYTES_PER_ELEMENT, t.data.length);
      data.set(t.data);
      offset += t.data.length;
      out.set(name, { dtype: t.dtype, shape: t.shape, data });
    }
    return out;
  };
  return { weights: copy(state.weights), m: copy(state.m), v: copy(state.v), step: state.step };
}
