/**
 * Training states in shared memory, the form in which they cross to and from a compute thread (policy-thread.ts)
 * without being copied. A training loop on a thread-hosted runtime puts its state there once, before its first call
 * (update, pi0's SFT): a state in ordinary memory would be copied to the thread by the call (a structured clone)
 * and back into shared memory at its end, leaving both copies to the garbage collector at the step's peak.
 */
import type { NamedTensors, TrainState } from '../model/api';

/**
 * The state with its tensors in one SharedArrayBuffer (a copy), or the state itself when they already are in shared
 * memory (as one that was handed over, TrainCallOptions.consume, and updated where it lay). The caller owns it as
 * before: a thread keeps no reference once its call has returned. ONNX Runtime does not take shared memory as input,
 * so a step copies what it feeds from it: the weights once for its training-graph runs, the optimizer's inputs a
 * slice at a time (accumulate.ts, adamw-slices.ts).
 */
export function sharedState(state: TrainState): TrainState {
  const parts = [state.weights, state.m, state.v];
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
