/** Evaluation of a policy against pi0 on the task's held-out prompts: exact where enumerable, sampled otherwise. */
import type { EvaluationSchema } from '../../schemas/campaign';
import type { EvalMetrics } from '../../schemas/results';
import type { NamedTensors, PolicyRuntime } from '../model/api';
import type { Task } from '../tasks';
import { exactMetrics } from './exact';
import { sampledMetrics } from './sampled';
import type { z } from 'zod';

export { exactMetrics, exactWinRateBetween, optimalValue, promptExact, exactWinRate, logSumExp } from './exact';
export { sampledMetrics, meanAndStderr } from './sampled';

export interface EvaluateOptions {
  evaluation: z.infer<typeof EvaluationSchema>;
  /** eta of J = E[r] - eta*KL (the campaign's update.beta). */
  eta: number;
  seed: number;
  topK: number;
  topP: number;
  /** Called between runtime calls; throws to stop (a cancelled step). */
  checkAborted?: () => void;
}

export async function evaluatePolicy(
  runtime: PolicyRuntime, weights: NamedTensors, initial: NamedTensors, task: Task, o: EvaluateOptions,
): Promise<EvalMetrics> {
  const prompts = task.evalPrompts.slice(0, o.evaluation.prompts);
  if (task.enumerable && o.evaluation.exact) return exactMetrics(runtime, weights, initial, task, prompts, o.eta, o.checkAborted);
  return sampledMetrics(runtime, weights, initial, task, prompts, {
    samplesPerPrompt: o.evaluation.samplesPerPrompt, eta: o.eta, seed: o.seed, topK: o.topK, topP: o.topP, checkAborted: o.checkAborted,
  });
}
