/**
 * The Bradley-Terry reward model: the policy's trunk with a scalar head (`score.weight`) read at each row's
 * last real token, implementing RewardRuntime of api.ts. Rows are right-padded prompt + response.
 */
import { DEFAULT_RUNTIME } from '../runtime/sessions';
import type { NamedTensors, ResolvedModelConfig, RewardRuntime, RuntimeOptions, TrainState } from './api';
import { checkSequences, packRewardSequences } from './batch';
import { parameterSpecs, validateConfig } from './gpt';
import { buildBradleyTerryGraph, buildRewardScoreGraph } from './graphs';
import { GraphSessions, outputScalar, outputTensor, tensorFeeds } from './sessions';
import { nextState, trainFeeds } from './train-step';
import { checkOptimizerHyper, checkTensors, checkTrainState, type OptimizerHyper } from './validate';

const SCORE_CHUNK = 64;

export async function createRewardRuntime(config: ResolvedModelConfig, options: RuntimeOptions = DEFAULT_RUNTIME): Promise<RewardRuntime> {
  validateConfig(config);
  const frozen: ResolvedModelConfig = Object.freeze({ ...config });
  const specs = parameterSpecs(frozen, 'scalar');
  const sessions = new GraphSessions(options);
  await sessions.session('score', () => buildRewardScoreGraph(frozen));

  async function score(weights: NamedTensors, prompts: number[][], responses: number[][]): Promise<Float64Array> {
    checkTensors(frozen, weights, 'scalar', 'reward model weights');
    checkSequences(frozen, prompts, responses);
    const result = new Float64Array(prompts.length);
    const weightFeeds = tensorFeeds(weights);
    for (let start = 0; start < prompts.length; start += SCORE_CHUNK) {
      const end = Math.min(prompts.length, start + SCORE_CHUNK);
      const out = await sessions.run('score', () => buildRewardScoreGraph(frozen), { ...weightFeeds, ...packRewardSequences(prompts.slice(start, end), responses.slice(start, end)) });
      result.set(outputTensor(out, 'rewards').data as Float32Array, start);
    }
    return result;
  }

  async function btStep(state: TrainState, prompts: number[][], chosen: number[][], rejected: number[][], hyper: OptimizerHyper) {
    checkTrainState(frozen, state, 'scalar');
    checkSequences(frozen, prompts, chosen, 'chosen');
    checkSequences(frozen, prompts, rejected, 'rejected');
    checkOptimizerHyper(hyper);
    const feeds = { ...trainFeeds(state, specs, hyper), ...packRewardSequences(prompts.concat(prompts), chosen.concat(rejected)) };
    const out = await sessions.run('bt', () => buildBradleyTerryGraph(frozen, 'step'), feeds);
    return {
      state: nextState(out, specs, state),
      loss: outputScalar(out, 'loss'),
      accuracy: outputScalar(out, 'accuracy'),
      grad_norm: outputScalar(out, 'grad_norm'),
    };
  }

  return {
    config: frozen,
    score,
    btStep,
    async dispose() {
      sessions.clear();
    },
  };
}
