import { rewardFreeMetrics, sampledRewardFreeMetrics } from '../../../engine/evaluation/reward-free';
import { exactMetrics } from '../../../engine/evaluation/exact';
import { initPolicy } from '../../../engine/model/gpt';
import { createPolicyRuntime } from '../../../engine/model/runtime';
import type { PolicyRuntime } from '../../../engine/model/api';
import { createBandit } from '../../../engine/tasks/bandit';

describe('evaluation without a gold reward', () => {
  const samples = {
    policyRewards: [1, 3, 2, 2],
    initialRewards: [0, 3, 5, 1],
    logRatios: [0.5, -0.1, 0.3, 0.1],
    responseTokens: [4, 6, 2, 0],
    responseTexts: ['ab', 'cdé', '', '日本'],
  };

  it('gives means with standard errors for reward, KL, J and win rate, and lengths in tokens and characters', () => {
    const m = rewardFreeMetrics(samples, 0.5);
    expect(m.reward).toBeCloseTo(2, 12);
    // sample sd of [1, 3, 2, 2] is sqrt(2/3); stderr = sd / sqrt(4)
    expect(m.rewardStderr).toBeCloseTo(Math.sqrt(2 / 3) / 2, 12);
    expect(m.kl).toBeCloseTo(0.2, 12);
    const ratios = [0.5, -0.1, 0.3, 0.1];
    const klSd = Math.sqrt(ratios.reduce((a, x) => a + (x - 0.2) ** 2, 0) / 3);
    expect(m.klStderr).toBeCloseTo(klSd / 2, 12);
    const js = [1 - 0.25, 3 + 0.05, 2 - 0.15, 2 - 0.05];
    expect(m.J).toBeCloseTo(2 - 0.5 * 0.2, 12);
    const jSd = Math.sqrt(js.reduce((a, x) => a + (x - 1.9) ** 2, 0) / 3);
    expect(m.JStderr).toBeCloseTo(jSd / 2, 12);
    // win, tie, loss, win
    expect(m.winRateVsInitial).toBeCloseTo(2.5 / 4, 12);
    const wins = [1, 0.5, 0, 1];
    expect(m.winRateStderr).toBeCloseTo(Math.sqrt(wins.reduce((a, x) => a + (x - 0.625) ** 2, 0) / 3) / 2, 12);
    expect(m.responseLength).toBe(3);
    // characters, not UTF-16 units or bytes: 'cdé' is 3, '日本' is 2
    expect(m.responseChars).toBe((2 + 3 + 0 + 2) / 4);
    expect(m.exact).toBe(false);
  });

  it('refuses misaligned inputs and an empty evaluation', () => {
    expect(() => rewardFreeMetrics({ ...samples, logRatios: [0] }, 0.1)).toThrow(/logRatios has 1 entries, policyRewards 4/);
    expect(() => rewardFreeMetrics({ policyRewards: [], initialRewards: [], logRatios: [], responseTokens: [], responseTexts: [] }, 0.1)).toThrow(/no responses/);
  });
});

describe('sampled evaluation by a reward source (real policy runtime on the enumerable bandit, so exact KL is known)', () => {
  const task = createBandit({ vocab: 3, promptLength: 2, responseLength: 3, trainPrompts: 4, evalPrompts: 3, featureDim: 4, rewardScale: 1 }, 5);
  const config = { vocab: 3, dModel: 16, layers: 1, heads: 2, context: 8, tiedHead: true };
  let runtime: PolicyRuntime;
  beforeAll(async () => { runtime = await createPolicyRuntime(config); });
  afterAll(async () => { await runtime.dispose(); });
  // A rule-based "reward source": token 2 is good.
  const scorer = async (_index: number[], _prompts: number[][], responses: number[][]) => Float64Array.from(responses, (r) => r.filter((t) => t === 2).length);
  const options = (samplesPerPrompt: number) => ({
    samplesPerPrompt, eta: 0.3, seed: 9, topK: 0, topP: 1, maxNewTokens: task.maxNewTokens, stopTokens: task.stopTokens,
    responseLength: (r: number[]) => task.responseLength(r), render: (r: number[]) => task.render(r),
  });

  it('pi0 against itself: KL exactly 0, J equal to the reward, win rate near a half', async () => {
    const pi0 = initPolicy({ ...config }, 11);
    const m = await sampledRewardFreeMetrics(runtime, pi0, pi0, task.evalPrompts, scorer, options(8));
    expect(m.kl).toBe(0);
    expect(m.klStderr).toBe(0);
    expect(m.J).toBeCloseTo(m.reward, 12);
    expect(Math.abs(m.winRateVsInitial - 0.5)).toBeLessThan(3 * m.winRateStderr! + 0.05);
    expect(m.responseLength).toBe(3);
    expect(m.responseChars).toBeGreaterThan(0);
  });

  it('the sampled KL of two different policies agrees with the exact KL within its standard error', async () => {
    const pi0 = initPolicy({ ...config }, 11);
    const pi = initPolicy({ ...config }, 12);
    const exact = await exactMetrics(runtime, pi, pi0, task, task.evalPrompts, 0.3);
    const m = await sampledRewardFreeMetrics(runtime, pi, pi0, task.evalPrompts, scorer, options(400));
    expect(exact.kl).toBeGreaterThan(0.01);
    expect(Math.abs(m.kl - exact.kl)).toBeLessThan(4 * m.klStderr);
    expect(m.klStderr).toBeGreaterThan(0);
    expect(m.rewardStderr).toBeGreaterThan(0);
  });
});
