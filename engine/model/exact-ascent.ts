/**
 * Gradient ascent on the exact J of an enumerable task (issue 17, point 3): each step takes J's exact gradient over
 * every response of every given prompt (buildExactObjectiveGraph) and moves the policy by one clipped AdamW step.
 * No samples, no preferences: what it reaches is a J that the policy class attains, found by maximizing J itself,
 * so it separates what the model cannot represent (J* minus it) from what an algorithm leaves (it minus the
 * algorithm's J). Used by bench/fidelity-capacity.ts; nothing in a campaign runs it.
 */
import * as ort from 'onnxruntime-node';
import { DEFAULT_RUNTIME } from '../runtime/sessions';
import { InvalidInputError } from '../errors';
import type { ResolvedModelConfig, RuntimeOptions, TrainState } from './api';
import { optimizerStep, microBatchRanges, type MicroBatch } from './accumulate';
import { checkSequences, packSequences } from './batch';
import { parameterSpecs, validateConfig } from './gpt';
import { buildExactObjectiveGraph, EXACT_OBJECTIVE_METRICS } from './graphs';
import { GraphSessions, scalarFeed } from './sessions';
import { checkOptimizerHyper, checkTrainState, type OptimizerHyper } from './validate';

/** Every response of every prompt, with its reward and log pi0 (normalized over the prompt's responses). */
export interface ExactObjective {
  prompts: number[][];
  /** The whole response space, the same for every prompt. */
  responses: number[][];
  /** rewards[k][i] = r(prompts[k], responses[i]). */
  rewards: ArrayLike<number>[];
  /** refLogp[k][i] = log pi0(responses[i] | prompts[k]), normalized over the responses. */
  refLogp: ArrayLike<number>[];
  eta: number;
}

export interface ExactAscentStep {
  state: TrainState;
  /** J, reward and KL(pi || pi0) (means over prompts) at the weights the step started from. */
  J: number;
  reward: number;
  kl: number;
  grad_norm: number;
}

export interface ExactAscent {
  /** One AdamW step up J's exact gradient; `promptsPerMicroBatch` bounds the rows one graph run holds. */
  step(state: TrainState, objective: ExactObjective, hyper: OptimizerHyper & { promptsPerMicroBatch?: number }): Promise<ExactAscentStep>;
  dispose(): void;
}

export function createExactAscent(config: ResolvedModelConfig, options: RuntimeOptions = DEFAULT_RUNTIME): ExactAscent {
  validateConfig(config);
  const specs = parameterSpecs(config, 'lm');
  const sessions = new GraphSessions(options);
  return {
    async step(state, o, hyper) {
      checkTrainState(config, state, 'lm');
      checkOptimizerHyper(hyper);
      const n = o.responses.length;
      if (o.prompts.length === 0 || n === 0) throw new InvalidInputError('exact ascent: needs at least one prompt and one response');
      if (o.rewards.length !== o.prompts.length || o.refLogp.length !== o.prompts.length) throw new InvalidInputError(`exact ascent: rewards and refLogp need one row per prompt (${o.prompts.length})`);
      o.prompts.forEach((_, k) => {
        if (o.rewards[k].length !== n || o.refLogp[k].length !== n) throw new InvalidInputError(`exact ascent: rewards[${k}] and refLogp[${k}] need one value per response (${n})`);
      });
      if (!(o.eta > 0)) throw new InvalidInputError(`exact ascent: eta must be positive, got ${o.eta}`);
      checkSequences(config, o.prompts.slice(0, 1).flatMap((x) => o.responses.map(() => x)), o.responses);
      const per = hyper.promptsPerMicroBatch ?? o.prompts.length;
      const rowsOf = (a: number, b: number, values: ArrayLike<number>[]) => {
        const out = new Float32Array((b - a) * n);
        for (let k = a; k < b; k++) for (let i = 0; i < n; i++) out[(k - a) * n + i] = values[k][i];
        return new ort.Tensor('float32', out, [b - a, n]);
      };
      // J is a mean over prompts: each micro-batch of whole prompts weighs its share of them.
      const micro = microBatchRanges(o.prompts.length, per).map(([a, b]): MicroBatch => ({
        weight: (b - a) / o.prompts.length,
        feeds: () => ({
          ...packSequences(o.prompts.slice(a, b).flatMap((x) => o.responses.map(() => x)), o.prompts.slice(a, b).flatMap(() => o.responses)),
          rewards: rowsOf(a, b, o.rewards),
          ref_logps: rowsOf(a, b, o.refLogp),
          eta: scalarFeed(o.eta),
        }),
      }));
      const graph = { key: `exact-objective:${n}`, build: () => buildExactObjectiveGraph(config, n) };
      const out = await optimizerStep(sessions, specs, state, hyper, graph, micro, ['loss', ...EXACT_OBJECTIVE_METRICS]);
      return { state: out.state, J: -out.scalars.loss, reward: out.scalars.reward, kl: out.scalars.kl, grad_norm: out.grad_norm };
    },
    dispose() {
      sessions.clear();
    },
  };
}
