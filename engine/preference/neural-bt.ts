/**
 * The neural r_MLE: the policy's GPT trunk with a scalar head (model/reward-runtime.ts), fitted by AdamW on the
 * Bradley-Terry loss -log sigmoid(r(chosen) - r(rejected)) over every preference collected so far. Unlike the linear
 * fit (bt-model.ts) it reads the tokens, not the task's feature map, so it is the reward model a real RLHF loop
 * would learn. Minibatches walk the pairs in a seeded order, a fresh permutation per pass, so a fit is a pure
 * function of (start state, pairs, rng).
 */
import type { RewardRuntime, TrainState } from '../model/api';
import type { Rng } from '../sampling/rng';
import { permutation } from './random';

export interface PreferencePair { prompt: number[]; chosen: number[]; rejected: number[] }

export interface NeuralFitOptions {
  /** Optimizer steps (minibatches) of this fit. */
  steps: number;
  lr: number;
  /** Pairs per step (fewer when fewer exist). */
  batchSize: number;
  rng: Rng;
  /** Checked between steps, so a cancelled fit stops at a step boundary. */
  checkAborted?: () => void;
}

export interface NeuralFit { state: TrainState; steps: number; loss: number; accuracy: number }

/** r_MLE needs no regularisation beyond early stopping at `steps`, and clipping keeps a large lr from diverging. */
const WEIGHT_DECAY = 0;
const MAX_GRAD_NORM = 1;

export async function fitNeuralBT(runtime: RewardRuntime, start: TrainState, pairs: PreferencePair[], options: NeuralFitOptions): Promise<NeuralFit> {
  if (pairs.length === 0) throw new Error('fitNeuralBT: no preference pairs to fit on');
  const size = Math.min(options.batchSize, pairs.length);
  const hyper = { lr: options.lr, weightDecay: WEIGHT_DECAY, maxGradNorm: MAX_GRAD_NORM };
  let order: number[] = [];
  let state = start;
  let loss = NaN, accuracy = NaN;
  for (let step = 0; step < options.steps; step++) {
    options.checkAborted?.();
    if (order.length < size) order = order.concat(permutation(pairs.length, options.rng));
    const batch = order.splice(0, size).map((i) => pairs[i]);
    const out = await runtime.btStep(state, batch.map((p) => p.prompt), batch.map((p) => p.chosen), batch.map((p) => p.rejected), hyper);
    state = out.state;
    loss = out.loss;
    accuracy = out.accuracy;
  }
  return { state, steps: options.steps, loss, accuracy };
}

/** Fraction of pairs (i, j) with different `truth` that `scores` order the same way: 0.5 is chance. */
export function pairwiseAgreement(scores: ArrayLike<number>, truth: ArrayLike<number>): number {
  let agree = 0, total = 0;
  for (let i = 0; i < truth.length; i++) {
    for (let j = i + 1; j < truth.length; j++) {
      if (truth[i] === truth[j]) continue;
      total++;
      if ((scores[i] - scores[j]) * (truth[i] - truth[j]) > 0) agree++;
    }
  }
  return total === 0 ? NaN : agree / total;
}
