/**
 * Evaluation without a gold reward (user prompt files): every figure comes from the campaign's own reward source
 * and from the policies' log-probabilities, on held-out prompts, each with its standard error over responses:
 * - reward: mean reward-source score of the policy's responses (before any length penalty: the penalty is a
 *   training device, the score is what the judge thinks);
 * - KL(pi || pi0): mean of log pi(a|x) - log pi0(a|x) over a ~ pi (unbiased; a single sample may be negative);
 * - J = reward - eta * KL, per response, so its standard error accounts for their covariance;
 * - win rate: the k-th policy response against the k-th pi0 response of the same prompt, judged by the reward
 *   source (ties count a half);
 * - response length in tokens and in characters.
 */
import type { EvalMetrics } from '../../schemas/results';
import type { NamedTensors, PolicyRuntime } from '../model/api';
import { meanAndStderr, samplePolicyAndInitial } from './sampled';

export interface RewardFreeSamples {
  /** Reward-source scores of the policy's responses (held-out prompt x sample, flattened). */
  policyRewards: ArrayLike<number>;
  /** Scores of pi0's responses, paired index by index with the policy's. */
  initialRewards: ArrayLike<number>;
  /** log pi(a|x) - log pi0(a|x) of each policy response. */
  logRatios: ArrayLike<number>;
  /** Tokens of each policy response (the stop token not counted). */
  responseTokens: ArrayLike<number>;
  /** Each policy response's text. */
  responseTexts: string[];
}

export function rewardFreeMetrics(s: RewardFreeSamples, eta: number): EvalMetrics {
  const n = s.policyRewards.length;
  if (n === 0) throw new Error('rewardFreeMetrics: no responses to evaluate');
  for (const [name, xs] of [['initialRewards', s.initialRewards], ['logRatios', s.logRatios], ['responseTokens', s.responseTokens], ['responseTexts', s.responseTexts]] as const) {
    if (xs.length !== n) throw new Error(`rewardFreeMetrics: ${name} has ${xs.length} entries, policyRewards ${n}`);
  }
  const rewards = Array.from(s.policyRewards);
  const ratios = Array.from(s.logRatios);
  const reward = meanAndStderr(rewards);
  const kl = meanAndStderr(ratios);
  const J = meanAndStderr(rewards.map((r, i) => r - eta * ratios[i]));
  const wins = rewards.map((r, i) => (r > s.initialRewards[i] ? 1 : r === s.initialRewards[i] ? 0.5 : 0));
  const win = meanAndStderr(wins);
  const chars = s.responseTexts.map((t) => [...t].length);
  return {
    reward: reward.mean, rewardStderr: reward.stderr,
    kl: kl.mean, klStderr: kl.stderr,
    J: J.mean, JStderr: J.stderr,
    winRateVsInitial: win.mean, winRateStderr: win.stderr,
    responseLength: Array.from(s.responseTokens).reduce((a, b) => a + b, 0) / n,
    responseChars: chars.reduce((a, b) => a + b, 0) / n,
    exact: false,
  };
}

/**
 * Scores (prompt, response) token rows with the campaign's reward source (no length penalty). `promptIndex[i]` is
 * row i's index among the held-out prompts; `sampler` says whose responses these are.
 */
export type ResponseScorer = (promptIndex: number[], prompts: number[][], responses: number[][], sampler: 'policy' | 'initial') => Promise<Float64Array>;

export interface RewardFreeOptions {
  samplesPerPrompt: number; eta: number; seed: number; topK: number; topP: number;
  maxNewTokens: number; stopTokens: number[];
  /** Response length in tokens as the campaign counts it (the stop token not counted). */
  responseLength: (response: number[]) => number;
  render: (response: number[]) => string;
  checkAborted?: () => void;
}

/**
 * The policy and pi0 each answer every held-out prompt `samplesPerPrompt` times (temperature 1, separate streams);
 * the reward source scores both sets; log-ratios come from the two policies' sequence log-probs of the policy's answers.
 */
export async function sampledRewardFreeMetrics(
  runtime: PolicyRuntime, weights: NamedTensors, initial: NamedTensors, prompts: number[][], scorer: ResponseScorer, o: RewardFreeOptions,
): Promise<EvalMetrics> {
  const rows = prompts.flatMap((x) => Array.from({ length: o.samplesPerPrompt }, () => x));
  const promptIndex = prompts.flatMap((_, p) => Array.from({ length: o.samplesPerPrompt }, () => p));
  const { fromPolicy, fromInitial, logRatios } = await samplePolicyAndInitial(runtime, weights, initial, rows, o);
  o.checkAborted?.();
  const policyRewards = await scorer(promptIndex, rows, fromPolicy, 'policy');
  const initialRewards = await scorer(promptIndex, rows, fromInitial, 'initial');
  return rewardFreeMetrics({
    policyRewards, initialRewards, logRatios,
    responseTokens: fromPolicy.map((r) => o.responseLength(r)), responseTexts: fromPolicy.map((r) => o.render(r)),
  }, o.eta);
}
