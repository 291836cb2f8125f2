/**
 * Clipping and AdamW applied to the gradients of a training step, one slice of one parameter at a time, writing
 * the new weights and moments straight into the arrays the step hands back.
 *
 * Why slices: onnxruntime-node copies every output of a run into a new JS buffer, so a graph that output the whole
 * new state (weights, m, v) would hold it twice (ORT's buffers and the binding's copies) on top of the state it was
 * fed: 36 bytes per parameter. AdamW is elementwise once the global gradient norm is known, so a graph over flat
 * slices of at most SLICE floats gives the same result with only a slice's outputs in flight at a time.
 *
 * Ownership: the step never changes the arrays of the state it was given (the caller may keep that state: a
 * reference policy, a checkpoint being written, weights resident on a compute thread). `inPlace` says the state's
 * arrays belong to the step's caller inside the runtime (the output of an earlier step of the same call, which
 * nobody else has seen): then the slices are written back into them. Otherwise fresh arrays take the new state,
 * filled slice by slice: the old and the new state coexist, never a third copy.
 */
import * as ort from 'onnxruntime-node';
import { Graph } from '../onnx';
import type { NamedTensor, NamedTensors, TrainState } from './api';
import type { ParamSpec } from './gpt';
import { adamw, clipCoefficient, declareOptimizerInputs } from './optim';
import { scalarFeed, type GraphSessions } from './sessions';
import type { OptimizerHyper } from './validate';

/** Floats per AdamW run: 4 MB per array, so a run's outputs and their JS copies are ~24 MB in flight. */
export const SLICE = 1 << 20;

/**
 * AdamW on one flat slice: `param`, `grad`, `m`, `v` [n] and the scalars lr, step (1-based), weight_decay (0 for a
 * parameter without decay: p * (1 - lr * 0) is p exactly), max_grad_norm and grad_norm (the global norm, over
 * every parameter) -> `updated.param`, `updated.m`, `updated.v` [n].
 */
export function buildAdamwSliceGraph(): Graph {
  const g = new Graph('prefloop_adamw_slice');
  const shape = ['n'];
  const [p, grad, m, v] = ['param', 'grad', 'm', 'v'].map((name) => g.input(name, 'float32', shape));
  const hyper = declareOptimizerInputs(g, 'float32');
  const norm = g.input('grad_norm', 'float32', []);
  const next = adamw(g, [p], [grad], [m], [v], [true], hyper, clipCoefficient(g, norm, hyper.maxGradNorm));
  g.output(next.params[0], 'updated.param');
  g.output(next.m[0], 'updated.m');
  g.output(next.v[0], 'updated.v');
  return g;
}

const ADAMW_SLICE = { key: 'adamw:slice', build: buildAdamwSliceGraph };

/** sqrt(sum of squares) over every gradient, summed in float64 in parameter order: the same value run to run. */
export function globalGradNorm(grads: readonly Float32Array[]): number {
  let sum = 0;
  for (const grad of grads) for (let i = 0; i < grad.length; i++) sum += grad[i] * grad[i];
  return Math.sqrt(sum);
}

/** A slice ORT can read: a view of ordinary memory, or a copy (ORT rejects SharedArrayBuffer-backed inputs). */
function readable(data: Float32Array, start: number, end: number): Float32Array {
  const view = data.subarray(start, end);
  return data.buffer instanceof SharedArrayBuffer ? view.slice() : view;
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
 * parameter is done, so the gradients shrink as the new state grows). Returns the new state and the norm.
 * `slice` is SLICE except in tests, which make it small to cross slice boundaries inside small tensors.
 */
export async function applyAdamw(
  sessions: GraphSessions, specs: ParamSpec[], state: TrainState, grads: Array<Float32Array | undefined>, hyper: OptimizerHyper, inPlace: boolean,
  slice = SLICE,
): Promise<{ state: TrainState; gradNorm: number }> {
  const gradNorm = globalGradNorm(grads.map((g, p) => {
    if (!g) throw new Error(`internal: no gradient for '${specs[p].name}'`);
    return g;
  }));
  const next = targets(state, specs, inPlace);
  const fresh = state.m.size === 0 && state.v.size === 0;
  const zeros = new Float32Array(fresh ? slice : 0);
  const scalars = {
    lr: scalarFeed(hyper.lr),
    // The graph takes the 1-based index of the step it performs (bias correction 1 - beta^t).
    step: scalarFeed(state.step + 1),
    max_grad_norm: scalarFeed(hyper.maxGradNorm),
    grad_norm: scalarFeed(gradNorm),
  };
  const decayed = scalarFeed(hyper.weightDecay);
  const notDecayed = scalarFeed(0);
  for (const [p, spec] of specs.entries()) {
    const grad = grads[p] as Float32Array;
    const weights = (state.weights.get(spec.name) as NamedTensor).data;
    const m = fresh ? undefined : (state.m.get(spec.name) as NamedTensor).data;
    const v = fresh ? undefined : (state.v.get(spec.name) as NamedTensor).data;
    const out = { param: next.weights.get(spec.name)!.data, m: next.m.get(spec.name)!.data, v: next.v.get(spec.name)!.data };
    for (let start = 0; start < grad.length; start += slice) {
      const end = Math.min(grad.length, start + slice);
      const n = end - start;
      const feed = (data: Float32Array | undefined) => new ort.Tensor('float32', data ? readable(data, start, end) : zeros.subarray(0, n), [n]);
      const result = await sessions.run(ADAMW_SLICE.key, ADAMW_SLICE.build, {
        ...scalars,
        weight_decay: spec.decay ? decayed : notDecayed,
        param: feed(weights), grad: feed(grad), m: feed(m), v: feed(v),
      });
      // Written after the run: in place, the slice just read is overwritten only once ORT is done with it.
      out.param.set(result['updated.param'].data as Float32Array, start);
      out.m.set(result['updated.m'].data as Float32Array, start);
      out.v.set(result['updated.v'].data as Float32Array, start);
    }
    grads[p] = undefined;
  }
  return { state: next, gradNorm };
}
