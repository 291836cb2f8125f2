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
import { meanAndStderr } from './sampled';

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
