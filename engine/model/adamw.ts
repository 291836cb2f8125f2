/**
 * Global-norm gradient clipping and AdamW on the gradients of a training step, written straight into the arrays the
 * step hands back. Semantics follow torch.nn.utils.clip_grad_norm_ and torch.optim.AdamW:
 *   norm = sqrt(sum_p |g_p|^2);  g <- g * min(1, maxNorm / (norm + 1e-6))
 *   p <- p * (1 - lr * wd)                      (decoupled weight decay; only where `decay`)
 *   m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
 *   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * where t is the 1-based index of this optimizer step (TrainState.step + 1).
 *
 * Why TypeScript and not an ONNX graph: the state lives in JS memory between steps (it is checkpointed, handed to
 * other sessions, shared with a compute thread), and onnxruntime-node copies every output of a run into a new
 * buffer. An optimizer graph therefore allocated three new arrays per parameter per step (12 bytes per parameter
 * of garbage, run in slices to bound it) and copied them back; the elementwise update here allocates nothing and
 * writes in place, also into shared memory, which ORT refuses as input. Measured at smollm2-135m (bench:engine):
 * the optimizer part of a step went from 2.2 s (the slice graph, 2 threads) to about 0.4 s (this loop, one thread).
 * The arithmetic is float64 per element, rounded to float32 where stored, so it is the same on every machine.
 *
 * Ownership: the step never changes the arrays of the state it was given (the caller may keep that state: a
 * reference policy, a checkpoint being written, weights resident on a compute thread). `inPlace` says the state's
 * arrays belong to the step's caller inside the runtime (the output of an earlier step of the same call, or a state
 * handed over): then they are written. Otherwise fresh arrays take the new state: the old and the new state
 * coexist, never a third copy.
 */
import type { NamedTensor, NamedTensors, TrainState } from './api';
import type { ParamSpec } from './gpt';
import type { OptimizerHyper } from './validate';

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPS = 1e-8;
export const CLIP_EPS = 1e-6;

/** sqrt(sum of squares) over every gradient, summed in float64 in parameter order: the same value run to run. */
export function globalGradNorm(grads: readonly Float32Array[]): number {
  let sum = 0;
  for (const grad of grads) for (let i = 0; i < grad.length; i++) sum += grad[i] * grad[i];
  return Math.sqrt(sum);
}

/** The state's arrays as they will hold the new state: its own when in place, else new zero-filled ones. */
function targets(state: TrainState, specs: ParamSpec[], inPlace: boolean): TrainState {
  const size = (s: ParamSpec) => s.shape.reduce((a, b) => a * b, 1);
  const fresh = (s: ParamSpec): NamedTensor => ({ dtype: 'float32', shape: s.shape.slice(), data: new Float32Array(size(s)) });
  const pick = (tensors: NamedTensors): NamedTensors => new Map(specs.map((s) => [s.name, (inPlace && tensors.get(s.name)) || fresh(s)]));
  return { weights: pick(state.weights), m: pick(state.m), v: pick(state.v), step: state.step + 1 };
}

/**
 * One AdamW step with global-norm clipping on `grads` (one per spec, in spec order; each is released once its
 * parameter is done, so the gradients shrink as the new state is written). Returns the new state and the norm.
 */
export function applyAdamw(
  specs: ParamSpec[], state: TrainState, grads: Array<Float32Array | undefined>, hyper: OptimizerHyper, inPlace: boolean,
): { state: TrainState; gradNorm: number } {
  const gradNorm = globalGradNorm(grads.map((g, p) => {
    if (!g) throw new Error(`internal: no gradient for '${specs[p].name}'`);
    return g;
  }));
  const next = targets(state, specs, inPlace);
  const t = state.step + 1;
  // Every scalar factor once, so the per-element work is the minimum the update needs:
  //   m1 = b1 m + ((1-b1) c) g;  v1 = b2 v + ((1-b2) c^2) g^2;  p1 = p (1 - lr wd) - (lr / bc1) m1 / (sqrt(v1) / sqrt(bc2) + eps)
  const c = Math.min(1, hyper.maxGradNorm / (gradNorm + CLIP_EPS));
  const mScale = (1 - ADAM_BETA1) * c;
  const vScale = (1 - ADAM_BETA2) * c * c;
  const invSqrtBc2 = 1 / Math.sqrt(1 - ADAM_BETA2 ** t);
  const stepSize = hyper.lr / (1 - ADAM_BETA1 ** t);
  for (const [p, spec] of specs.entries()) {
    const grad = grads[p] as Float32Array;
    const to = { p: next.weights.get(spec.name)!.data, m: next.m.get(spec.name)!.data, v: next.v.get(spec.name)!.data };
    const w = (state.weights.get(spec.name) as NamedTensor).data;
    // A fresh state has no moments: the target arrays are new and zero.
    const m = state.m.get(spec.name)?.data ?? to.m;
    const v = state.v.get(spec.name)?.data ?? to.v;
    const shrink = spec.decay ? 1 - hyper.lr * hyper.weightDecay : 1;
    for (let i = 0; i < grad.length; i++) {
      const g = grad[i];
      const m1 = Math.fround(ADAM_BETA1 * m[i] + mScale * g);
      const v1 = Math.fround(ADAM_BETA2 * v[i] + vScale * g * g);
      to.p[i] = w[i] * shrink - (stepSize * m1) / (Math.sqrt(v1) * invSqrtBc2 + ADAM_EPS);
      to.m[i] = m1;
      to.v[i] = v1;
    }
    grads[p] = undefined;
  }
  return { state: next, gradNorm };
}
