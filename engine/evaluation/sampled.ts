/**
 * Sampled evaluation (text): responses of the policy and of pi0 on held-out prompts; KL(pi || pi0) estimated by
 * the mean sequence-level log-ratio log pi(a|x) - log pi0(a|x) over a ~ pi, reported with its standard error;
 * the win-rate pairs the k-th policy sample with the k-th pi0 sample of the same prompt under the gold reward.
 */
import type { EvalMetrics } from '../../schemas/results';
import type { NamedTensors, PolicyRuntime } from '../model/api';
import type { Task } from '../tasks';

export interface SampledOptions {
  samplesPerPrompt: number; eta: number; seed: number; topK: number; topP: number;
  /** Called between runtime calls; throws to stop (a cancelled step). */
  checkAborted?: () => void;
}

export function meanAndStderr(xs: number[]): { mean: number; stderr: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, stderr: 0 };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { mean, stderr: Math.sqrt(variance / n) };
}

export async function sampledMetrics(
  runtime: PolicyRuntime, weights: NamedTensors, initial: NamedTensors, task: Task, prompts: number[][], o: SampledOptions,
): Promise<EvalMetrics> {
  const rows = prompts.flatMap((x) => Array.from({ length: o.samplesPerPrompt }, () => x));
  const sampleOptions = (seed: number) => ({
    temperatures: rows.map(() => 1), topK: o.topK, topP: o.topP, maxNewTokens: task.maxNewTokens, stopTokens: task.stopTokens, seed,
  });
  // Different streams for the policy and pi0: the same stream would make them agree whenever they are equal.
  const fromPolicy = await runtime.sample(weights, rows, sampleOptions(o.seed));
  o.checkAborted?.();
  const fromInitial = await runtime.sample(initial, rows, sampleOptions((o.seed + 1) >>> 0));
  o.checkAborted?.();
  const lp = await runtime.sequenceLogprobs(weights, rows, fromPolicy);
  o.checkAborted?.();
  const lq = await runtime.sequenceLogprobs(initial, rows, fromPolicy);
  const ratios = Array.from(lp, (x, i) => x - lq[i]);
  const kl = meanAndStderr(ratios);
  const rewards = rows.map((x, i) => task.gold(x, fromPolicy[i]));
  const initialRewards = rows.map((x, i) => task.gold(x, fromInitial[i]));
  const reward = rewards.reduce((a, b) => a + b, 0) / rows.length;
  const win = rewards.reduce((a, r, i) => a + (r > initialRewards[i] ? 1 : r === initialRewards[i] ? 0.5 : 0), 0) / rows.length;
  const length = fromPolicy.reduce((a, r) => a + task.responseLength(r), 0) / rows.length;
  return {
    reward, kl: kl.mean, klStderr: kl.stderr, J: reward - o.eta * kl.mean,
    winRateVsInitial: win, responseLength: length, exact: false,
  };
}
