import { rewardFreeMetrics } from '../../../engine/evaluation/reward-free';

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
