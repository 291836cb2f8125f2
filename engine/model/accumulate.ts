/**
 * One optimizer step over a batch that may be run in micro-batches (gradient accumulation), so that a step's
 * activations grow with the micro-batch, not with the whole effective batch.
 *
 * Every training loss is a weighted mean over the batch (preference losses: the mean over pairs; SFT: the mean over
 * response tokens), so the whole batch's loss is sum_i w_i * loss_i with w_i the micro-batch's share (of pairs, of
 * response tokens), and so is its gradient. A step therefore runs the 'grad' graph on each micro-batch in turn, adds
 * w_i * grad_i into one accumulator per parameter, and runs the optimizer graph once on the sum: clipping sees the
 * whole batch's gradient norm and AdamW moves once, as with one big batch, equal up to float rounding (the sum is
 * taken in a fixed order, so it is bit-identical run to run and across resume).
 * A batch that fits in one micro-batch runs the fused 'step' graph instead: no gradient leaves the session.
 */
import type { Graph } from '../onnx';
import type { TrainState } from './api';
import type { ParamSpec } from './gpt';
import { gradName } from './graphs';
import { outputScalar, outputTensor, tensorFeeds, type Feeds, type GraphSessions } from './sessions';
import { nextState, trainFeeds } from './train-step';
import type { OptimizerHyper } from './validate';

/** A graph a runtime runs, named by its session key. */
export interface GraphOf {
  key: string;
  build: () => Graph;
}

export interface TrainGraphs {
  /** Loss, metrics, clipping and AdamW in one graph ('step' mode). */
  step: GraphOf;
  /** Loss, metrics and `grad.<name>` ('grad' mode). */
  grad: GraphOf;
  /** buildOptimizerGraph: clipping and AdamW on `grad.<name>` inputs. */
  optimizer: GraphOf;
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

export async function optimizerStep(
  sessions: GraphSessions, specs: ParamSpec[], state: TrainState, hyper: OptimizerHyper,
  graphs: TrainGraphs, micro: MicroBatch[], scalarNames: readonly string[],
): Promise<StepResult> {
  if (micro.length === 0) throw new Error('internal: an optimizer step needs at least one micro-batch');
  if (micro.length === 1) {
    const out = await sessions.run(graphs.step.key, graphs.step.build, { ...trainFeeds(state, specs, hyper), ...micro[0].feeds() });
    const scalars: Record<string, number> = {};
    for (const name of scalarNames) scalars[name] = outputScalar(out, name);
    return { state: nextState(out, specs, state), scalars, grad_norm: outputScalar(out, 'grad_norm') };
  }
  const weights = tensorFeeds(state.weights);
  const sums: Float32Array[] = [];
  const scalars: Record<string, number> = Object.fromEntries(scalarNames.map((n) => [n, 0]));
  for (const [i, { weight, feeds }] of micro.entries()) {
    const out = await sessions.run(graphs.grad.key, graphs.grad.build, { ...weights, ...feeds() });
    for (const name of scalarNames) scalars[name] += weight * outputScalar(out, name);
    specs.forEach((s, p) => {
      const grad = outputTensor(out, gradName(s.name)).data as Float32Array;
      if (i === 0) {
        // The first micro-batch's gradient buffer becomes the accumulator: ORT hands it over, no copy needed.
        for (let j = 0; j < grad.length; j++) grad[j] *= weight;
        sums.push(grad);
      } else {
        const sum = sums[p];
        for (let j = 0; j < grad.length; j++) sum[j] += weight * grad[j];
      }
    });
  }
  const gradFeeds = tensorFeeds(new Map(specs.map((s, p) => [s.name, { dtype: 'float32' as const, shape: s.shape, data: sums[p] }])), 'grad.');
  const out = await sessions.run(graphs.optimizer.key, graphs.optimizer.build, { ...trainFeeds(state, specs, hyper), ...gradFeeds });
  return { state: nextState(out, specs, state), scalars, grad_norm: outputScalar(out, 'grad_norm') };
}
