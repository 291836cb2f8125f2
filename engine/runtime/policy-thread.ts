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
      const out = await built('sftStep').sftStep(unshared(state), ...a);
      return { ...out, state: shared(out.state) };
    },
    sftSteps: async (state, ...a) => {
      const out = await built('sftSteps').sftSteps(unshared(state), ...a);
      return { ...out, state: shared(out.state) };
    },
    preferenceStep: async (state, ...a) => {
      const out = await built('preferenceStep').preferenceStep(unshared(state), ...a);
      return { ...out, state: shared(out.state) };
    },
    preferenceSteps: async (state, steps) => {
      const out = await built('preferenceSteps').preferenceSteps(unshared(state), steps);
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
 * is not. The caller owns it as before: nothing here keeps a reference once the step has returned.
 * (ONNX Runtime does not take shared memory as input, so unshared() copies it back in this thread: one memcpy,
 * cheaper than the structured clone it replaces.)
 */
function shared(state: TrainState): TrainState {
  const parts = [state.weights, state.m, state.v];
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

/** The state with every shared tensor copied to ordinary memory (ONNX Runtime's inputs); others pass as they are. */
function unshared(state: TrainState): TrainState {
  const own = (tensors: NamedTensors): NamedTensors => {
    const out: NamedTensors = new Map();
    for (const [name, t] of tensors) out.set(name, t.data.buffer instanceof SharedArrayBuffer ? { ...t, data: t.data.slice() } : t);
    return out;
  };
  return { ...state, weights: own(state.weights), m: own(state.m), v: own(state.v) };
}
