import { compareFrontiers, interpolateReward } from '../../../engine/preference/reward-kl-frontier';

describe('reward-KL frontier comparison', () => {
  // A concave baseline curve, given out of KL order.
  const baseline = [{ kl: 2, reward: 0.6 }, { kl: 0, reward: 0 }, { kl: 1, reward: 0.4 }, { kl: 4, reward: 0.8 }];

  it('interpolates reward linearly between the KL-sorted points and refuses to extrapolate', () => {
    expect(interpolateReward(baseline, 0.5)).toBeCloseTo(0.2, 12);
    expect(interpolateReward(baseline, 3)).toBeCloseTo(0.7, 12);
    expect(interpolateReward(baseline, 2)).toBeCloseTo(0.6, 12);
    expect(interpolateReward(baseline, 4.5)).toBeUndefined();
    expect(interpolateReward(baseline, -0.1)).toBeUndefined();
    expect(interpolateReward([{ kl: 1, reward: 0.2 }, { kl: 1, reward: 0.4 }], 1)).toBeCloseTo(0.3, 12);
  });

  it('dominates when every comparable point has more reward than the baseline at its KL', () => {
    const v = compareFrontiers([{ kl: 0.5, reward: 0.3 }, { kl: 3, reward: 0.75 }, { kl: 9, reward: 1 }], baseline);
    expect(v.verdict).toBe('dominates');
    expect([v.compared, v.above, v.below]).toEqual([2, 2, 0]);
    expect(v.points[0].margin).toBeCloseTo(0.1, 12);
    expect(v.points[2].baselineReward).toBeUndefined(); // outside the baseline's KL range: not compared
  });

  it('crosses, is dominated, or is not comparable as the margins say', () => {
    expect(compareFrontiers([{ kl: 0.5, reward: 0.3 }, { kl: 3, reward: 0.6 }], baseline).verdict).toBe('crosses');
    expect(compareFrontiers([{ kl: 0.5, reward: 0.1 }, { kl: 3, reward: 0.6 }], baseline).verdict).toBe('dominated');
    expect(compareFrontiers([{ kl: 5, reward: 2 }], baseline).verdict).toBe('not comparable');
    // One comparable point says nothing about a curve.
    expect(compareFrontiers([{ kl: 0.5, reward: 0.3 }, { kl: 5, reward: 2 }], baseline).verdict).toBe('not comparable');
  });
});
