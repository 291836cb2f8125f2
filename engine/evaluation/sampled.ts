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

/**
 * The policy and pi0 each answer `rows` at temperature 1, on different streams (the same stream would make them agree
 * whenever they are equal); `logRatios` are log pi(a|x) - log pi0(a|x) of the policy's answers, KL's estimator.
 */
export async function samplePolicyAndInitial(
  runtime: PolicyRuntime, weights: NamedTensors, initial: NamedTensors, rows: number[][],
  o: { seed: number; topK: number; topP: number; maxNewTokens: number; stopTokens: number[]; checkAborted?: () => void },
): Promise<{ fromPolicy: number[][]; fromInitial: number[][]; logRatios: number[] }> {
  const sampleOptions = (seed: number) => ({
    temperatures: rows.map(() => 1), topK: o.topK, topP: o.topP, maxNewTokens: o.maxNewTokens, stopTokens: o.stopTokens, seed,
  });
  const fromPolicy = await runtime.sample(weights, rows, sampleOptions(o.seed));
  o.checkAborted?.();
  const fromInitial = await runtime.sample(initial, rows, sampleOptions((o.seed + 1) >>> 0));
  o.checkAborted?.();
  const lp = await runtime.sequenceLogprobs(weights, rows, fromPolicy);
  o.checkAborted?.();
  const lq = await runtime.sequenceLogprobs(initial, rows, fromPolicy);
  return { fromPolicy, fromInitial, logRatios: Array.from(lp, (x, i) => x - lq[i]) };
}

export async function sampledMetrics(
  runtime: PolicyRuntime, weights: NamedTensors, initial: NamedTensors, task: Task, prompts: number[][], o: SampledOptions,
): Promise<EvalMetrics> {
  const rows = prompts.flatMap((x) => Array.from({ length: o.samplesPerPrompt }, () => x));
  const { fromPolicy, fromInitial, logRatios } = await samplePolicyAndInitial(
    runtime, weights, initial, rows, { ...o, maxNewTokens: task.maxNewTokens, stopTokens: task.stopTokens },
  );
  const kl = meanAndStderr(logRatios);
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
