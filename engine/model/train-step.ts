/**
 * Running one training-step graph: feed weights, AdamW moments and hyper-parameters, read back the new state.
 * Shared by the policy (SFT, preference) and the reward model (Bradley-Terry).
 */
import type { TrainState } from './api';
import type { ParamSpec } from './gpt';
import { updatedMName, updatedName, updatedVName } from './graphs';
import { readTensors, scalarFeed, tensorFeeds, zeroFeeds, type Feeds, type Outputs } from './sessions';
import type { OptimizerHyper } from './validate';

export function trainFeeds(state: TrainState, specs: ParamSpec[], hyper: OptimizerHyper): Feeds {
  const fresh = state.m.size === 0 && state.v.size === 0;
  return {
    ...tensorFeeds(state.weights),
    ...(fresh ? zeroFeeds(specs, 'm.') : tensorFeeds(state.m, 'm.')),
    ...(fresh ? zeroFeeds(specs, 'v.') : tensorFeeds(state.v, 'v.')),
    lr: scalarFeed(hyper.lr),
    // The graph takes the 1-based index of the step it performs (bias correction 1 - beta^t).
    step: scalarFeed(state.step + 1),
    weight_decay: scalarFeed(hyper.weightDecay),
    max_grad_norm: scalarFeed(hyper.maxGradNorm),
  };
}

export function nextState(outputs: Outputs, specs: ParamSpec[], state: TrainState): TrainState {
  return {
    weights: readTensors(outputs, specs, updatedName),
    m: readTensors(outputs, specs, updatedMName),
    v: readTensors(outputs, specs, updatedVName),
    step: state.step + 1,
  };
}
