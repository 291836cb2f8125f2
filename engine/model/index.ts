/** The model family: GPT definition, graphs, and the ORT-backed policy and reward runtimes. */
export * from './api';
export { initPolicy, initRewardModel, initWeights, parameterSpecs, zerosLike, validateConfig, headDim, kvHeads, cacheShape, familyOf } from './gpt';
export type { Head, ParamSpec } from './gpt';
export {
  buildDecodeGraph, buildScoreGraph, buildSftGraph, buildPreferenceGraph, buildRewardScoreGraph, buildBradleyTerryGraph, PAIR_METRICS,
} from './graphs';
export { assertLossName } from './losses';
export { createPolicyRuntime } from './runtime';
export { createRewardRuntime } from './reward-runtime';
