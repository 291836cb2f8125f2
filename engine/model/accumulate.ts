/**
 * One optimizer step over a batch that may be run in micro-batches (gradient accumulation), so that a step's
 * activations grow with the micro-batch, not with the whole effective batch.
 *
 * Every training loss is a weighted mean over the batch (preference losses: the mean over pairs; SFT: the mean over
 * response tokens), so the whole batch's loss is sum_i w_i * loss_i with w_i the micro-batch's share (of pairs, of
 * response tokens), and so is its gradient. A step therefore runs the training graph (loss, metrics and gradients)
 * on each micro-batch in turn, adds w_i * grad_i into one accumulator per parameter, and applies clipping and AdamW
 * once to the sum (adamw.ts): clipping sees the whole batch's gradient norm and AdamW moves once, as with one
 * big batch, equal up to float rounding (the sum is taken in a fixed order, so it is bit-identical run to run and
 * across resume). A batch that fits one micro-batch is the same path with k = 1 (w = 1, no summing).
 */
import type { Graph } from '../onnx';
import type { TrainState } from './api';
import { applyAdamw } from './adamw';
import type { ParamSpec } from './gpt';
import { gradName } from './graphs';
import { outputScalar, outputTensor, tensorFeeds, type Feeds, type GraphSessions } from './sessions';
import type { OptimizerHyper } from './validate';

/** A graph a runtime runs, named by its session key. */
export interface GraphOf {
  key: string;
  build: () => Graph;
}

export interface MicroBatch {
  /** Share of the batch's loss: micro-batch pairs / batch pairs, or micro-batch tokens / batch tokens. */
  weight: number;
  /** The micro-batch's data feeds, built when it runs so only one micro-batch's inputs exist at a time. */
  feeds: () => Feeds;
}

export interface StepResult {
  state: TrainState;
  /** The whole batch's value of each scalar output asked for (loss, metrics): sum_i w_i * value_i. */
  scalars: Record<string, number>;
  grad_norm: number;
}

/** Consecutive [start, end) row ranges of at most `size` rows covering 0..n. */
export function microBatchRanges(n: number, size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < n; start += size) out.push([start, Math.min(n, start + size)]);
  return out;
}

/**
 * `inPlace`: the state's arrays belong to this call (an earlier step of the same call made them), so the new state
 * is written into them; otherwise into new arrays and the given state is left as it was (adamw.ts).
 */
export async function optimizerStep(
  sessions: GraphSessions, specs: ParamSpec[], state: TrainState, hyper: OptimizerHyper,
  grad: GraphOf, micro: MicroBatch[], scalarNames: readonly string[], inPlace = false,
): Promise<StepResult> {
  if (micro.length === 0) throw new Error('internal: an optimizer step needs at least one micro-batch');
  // A shared-memory state's weights are copied once here for all micro-batches (tensorFeeds).
  let weights: Feeds | undefined = tensorFeeds(state.weights);
  const sums: Array<Float32Array | undefined> = [];
  const scalars: Record<string, number> = Object.fromEntries(scalarNames.map((n) => [n, 0]));
  for (const [i, { weight, feeds }] of micro.entries()) {
    // A training graph runs with the same shapes step after step: its session keeps a memory arena (sessions.ts).
    const out = await sessions.run(grad.key, grad.build, { ...weights, ...feeds() }, true);
    for (const name of scalarNames) scalars[name] += weight * outputScalar(out, name);
    specs.forEach((s, p) => {
      const g = outputTensor(out, gradName(s.name)).data as Float32Array;
      if (i === 0) {
        // The first micro-batch's gradient buffer becomes the accumulator: the binding hands it over, no copy needed.
        if (weight !== 1) for (let j = 0; j < g.length; j++) g[j] *= weight;
        sums.push(g);
      } else {
        const sum = sums[p] as Float32Array;
        for (let j = 0; j < g.length; j++) sum[j] += weight * g[j];
      }
    });
  }
  weights = undefined; // a shared-memory state's copy is not needed by the optimizer
  const next = applyAdamw(specs, state, sums, hyper, inPlace);
  return { state: next.state, scalars, grad_norm: next.gradNorm };
}
