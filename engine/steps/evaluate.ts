/**
 * evaluate: a checkpoint against pi0 on held-out prompts (EvalMetrics), cached by the checkpoint's sha256. A task with
 * a gold reward is measured by it (exactly where enumerable); a files task, which has none, by the campaign's reward
 * source (evaluation/reward-free.ts).
 */
import type { EvalMetrics } from '../../schemas/results';
import { evaluatePolicy } from '../evaluation';
import { sampledRewardFreeMetrics, type ResponseScorer } from '../evaluation/reward-free';
import { rewardSourceFor } from '../preference/sources';
import type { Sample } from '../preference/types';
import type { Task } from '../tasks';
import { checkAborted, findOutput, handingOver, keyOf, loadWeights, putJson, withPolicyRuntime, seedOf, taskOf } from './common';
import { rewardContextOf } from './reward-context';
import type { EvaluateInput, StepContext } from './types';

/** The reward source's scores of held-out responses, before any length penalty. */
function sourceScorer(ctx: StepContext, task: Task): ResponseScorer {
  const source = rewardSourceFor(ctx.spec.reward.source);
  const rctx = rewardContextOf(ctx, task, { step: 'evaluate', split: 'eval', stage: 0 });
  return async (promptIndex, prompts, responses, sampler) => {
    const samples: Sample[] = responses.map((response, i) => ({
      promptIndex: promptIndex[i], prompt: prompts[i], response, temperature: 1, sampler, sourceIteration: ctx.iteration, index: i,
    }));
    const [scores] = await source.score([samples], [samples.map(() => NaN)], rctx);
    return Float64Array.from(scores);
  };
}

export async function evaluate(ctx: StepContext, input: EvaluateInput): Promise<EvalMetrics> {
  const key = keyOf(ctx, 'evaluate', `eval-${input.checkpoint.sha256.slice(0, 16)}-${input.pi0.sha256.slice(0, 16)}.json`);
  const done = await findOutput<EvalMetrics>(ctx.store, key);
  if (done) return done;
  const task = await taskOf(ctx);
  const initial = await loadWeights(ctx.store, input.pi0);
  const weights = input.checkpoint.sha256 === input.pi0.sha256 ? initial : await loadWeights(ctx.store, input.checkpoint);
  const { evaluation, sampling } = ctx.spec;
  // Both were loaded for this step alone and only metrics are read after: a compute thread takes them, not a copy.
  const metrics = await withPolicyRuntime(ctx, (leased) => {
    const runtime = handingOver(leased, [weights, initial]);
    return task.hasGold
      ? evaluatePolicy(runtime, weights, initial, task, {
        evaluation, eta: ctx.spec.update.beta, seed: seedOf(ctx, 'evaluate'), topK: sampling.topK, topP: sampling.topP, checkAborted: () => checkAborted(ctx),
      })
      : sampledRewardFreeMetrics(runtime, weights, initial, task.evalPrompts.slice(0, evaluation.prompts), sourceScorer(ctx, task), {
        samplesPerPrompt: evaluation.samplesPerPrompt, eta: ctx.spec.update.beta, seed: seedOf(ctx, 'evaluate'), topK: sampling.topK, topP: sampling.topP,
        maxNewTokens: task.maxNewTokens, stopTokens: task.stopTokens, responseLength: (r) => task.responseLength(r), render: (r) => task.render(r),
        checkAborted: () => checkAborted(ctx),
      });
  });
  await putJson(ctx.store, key, metrics);
  return metrics;
}
