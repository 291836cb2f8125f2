/** evaluate: a checkpoint against pi0 on held-out prompts (EvalMetrics), cached by the checkpoint's sha256. */
import type { EvalMetrics } from '../../schemas/results';
import { evaluatePolicy } from '../evaluation';
import { checkAborted, findOutput, keyOf, loadWeights, putJson, withPolicyRuntime, seedOf, taskOf } from './common';
import type { EvaluateInput, StepContext } from './types';

export async function evaluate(ctx: StepContext, input: EvaluateInput): Promise<EvalMetrics> {
  const key = keyOf(ctx, 'evaluate', `eval-${input.checkpoint.sha256.slice(0, 16)}-${input.pi0.sha256.slice(0, 16)}.json`);
  const done = await findOutput<EvalMetrics>(ctx.store, key);
  if (done) return done;
  const task = taskOf(ctx);
  const initial = await loadWeights(ctx.store, input.pi0);
  const weights = input.checkpoint.sha256 === input.pi0.sha256 ? initial : await loadWeights(ctx.store, input.checkpoint);
  const metrics = await withPolicyRuntime(ctx, (runtime) => evaluatePolicy(runtime, weights, initial, task, {
    evaluation: ctx.spec.evaluation, eta: ctx.spec.update.beta, seed: seedOf(ctx, 'evaluate'),
    topK: ctx.spec.sampling.topK, topP: ctx.spec.sampling.topP, checkAborted: () => checkAborted(ctx),
  }));
  await putJson(ctx.store, key, metrics);
  return metrics;
}
