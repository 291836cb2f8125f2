/**
 * Reverse-mode sweep over a Graph's tape. The tape is in construction order, which is a topological
 * order, so walking it backwards visits every consumer of a tensor before its producer: by the time a
 * node's backward rule runs, the gradients of its outputs are complete (summed over all uses).
 */
import type { Graph, Tensor } from './graph';
import { fmtShape, isFloat, numel } from './shape';

export function gradients(graph: Graph, loss: Tensor, wrt: Tensor[]): Tensor[] {
  if (loss.graph !== graph) throw new Error(`grad: loss '${loss.name}' belongs to another graph`);
  if (!isFloat(loss.dtype)) throw new Error(`grad: loss '${loss.name}' is ${loss.dtype}; needs float32 or float64`);
  if (numel(loss.shape) !== 1) throw new Error(`grad: loss '${loss.name}' must be a scalar, got shape ${fmtShape(loss.shape)}; reduce it first (reduceSum/reduceMean)`);
  for (const w of wrt) {
    if (w.graph !== graph) throw new Error(`grad: '${w.name}' belongs to another graph`);
    if (!isFloat(w.dtype)) throw new Error(`grad: cannot differentiate with respect to '${w.name}' of dtype ${w.dtype}`);
  }
  // Snapshot: backward rules append nodes, which must not be swept themselves.
  const tape = graph.tape.slice();

  // Forward pass: which tensors depend on a wrt tensor (only their producers need backward rules).
  const requires = new Set(wrt.map((w) => w.name));
  for (const e of tape) {
    if (e.nograd) continue;
    if (e.inputs.some((t) => t && requires.has(t.name))) for (const o of e.outputs) if (isFloat(o.dtype)) requires.add(o.name);
  }

  const grads = new Map<string, Tensor>();
  const accumulate = (t: Tensor, g: Tensor): void => {
    const prev = grads.get(t.name);
    grads.set(t.name, prev ? graph.add(prev, g) : g);
  };
  if (requires.has(loss.name)) {
    const seed = loss.rank === 0 ? graph.scalar(1, loss.dtype) : graph.constant(1, loss.dtype, loss.shape as number[]);
    grads.set(loss.name, seed);
  }

  // Backward pass: only nodes whose outputs received a gradient are visited, so everything that does not
  // reach the loss is pruned.
  for (let k = tape.length - 1; k >= 0 && grads.size > 0; k--) {
    const e = tape[k];
    const gOut = e.outputs.map((o) => grads.get(o.name) ?? null);
    if (gOut.every((g) => g === null)) continue;
    const needs = e.inputs.map((t) => t !== null && requires.has(t.name));
    if (e.nograd || !needs.some(Boolean)) continue;
    if (!e.backward) throw new Error(`grad: op ${e.op} (output '${e.outputs[0].name}') has no gradient rule`);
    const gIn = e.backward(gOut, needs);
    e.inputs.forEach((t, i) => {
      const g = gIn[i];
      if (t && needs[i] && g) accumulate(t, g);
    });
  }

  // A wrt tensor that does not reach the loss has gradient zero.
  return wrt.map((w) => grads.get(w.name) ?? graph.zerosLike(w));
}
