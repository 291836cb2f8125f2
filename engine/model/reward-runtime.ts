/**
 * The Bradley-Terry reward model: the policy's trunk with a scalar head (`score.weight`) read at each row's
 * last real token, implementing RewardRuntime of api.ts. Rows are right-padded prompt + response.
 */
import { DEFAULT_RUNTIME } from '../runtime/sessions';
import type { NamedTensors, ResolvedModelConfig, RewardRuntime, RuntimeOptions, TrainState } from './api';
import { checkSequences, packRewardSequences, scoreInChunks } from './batch';
import { parameterSpecs, validateConfig } from './gpt';
import { buildBradleyTerryGraph, buildRewardScoreGraph } from './graphs';
import { optimizerStep } from './accumulate';
import { GraphSessions, outputTensor, tensorFeeds } from './sessions';
import { checkOptimizerHyper, checkTensors, checkTrainState, type OptimizerHyper } from './validate';

/** Rows scored per session run; more than the policy's, as a scalar head holds no [rows, seq, vocab] logits. */
const SCORE_CHUNK = 64;

export async function createRewardRuntime(config: ResolvedModelConfig, options: RuntimeOptions = DEFAULT_RUNTIME): Promise<RewardRuntime> {
  validateConfig(config);
  const frozen: ResolvedModelConfig = Object.freeze({ ...config });
  const specs = parameterSpecs(frozen, 'scalar');
  const sessions = new GraphSessions(options);
  // As in the policy runtime: a provider that cannot load fails here, at creation.
  await sessions.session('score', () => buildRewardScoreGraph(frozen));

  async function score(weights: NamedTensors, prompts: number[][], responses: number[][]): Promise<Float64Array> {
    checkTensors(frozen, weights, 'scalar', 'reward model weights');
    checkSequences(frozen, prompts, responses);
    const weightFeeds = tensorFeeds(weights);
    return scoreInChunks(prompts, responses, SCORE_CHUNK, async (p, r) => {
      const out = await sessions.run('score', () => buildRewardScoreGraph(frozen), { ...weightFeeds, ...packRewardSequences(p, r) });
      return outputTensor(out, 'rewards').data as Float32Array;
    });
  }

  async function btStep(state: TrainState, prompts: number[][], chosen: number[][], rejected: number[][], hyper: OptimizerHyper) {
    checkTrainState(frozen, state, 'scalar');
    checkSequences(frozen, prompts, chosen, 'chosen');
    checkSequences(frozen, prompts, rejected, 'rejected');
    checkOptimizerHyper(hyper);
    const batch = { weight: 1, feeds: () => packRewardSequences(prompts.concat(prompts), chosen.concat(rejected)) };
    const out = await optimizerStep(sessions, specs, state, hyper, { key: 'bt', build: () => buildBradleyTerryGraph(frozen) }, [batch], ['loss', 'accuracy']);
    return { state: out.state, loss: out.scalars.loss, accuracy: out.scalars.accuracy, grad_norm: out.grad_norm };
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
