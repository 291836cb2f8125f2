import { candidatePairs, selectPairs } from '../../../engine/preference/pairs';
import { rngFor } from '../../../engine/sampling/rng';

const rewards = [0.5, 2.0, -1.0, 2.0, 0.1];
const rule = { dropTies: true, minMargin: 0 };

describe('pair strategies on hand-made scored samples', () => {
  it('max_min pairs the best (first on ties) with the worst', () => {
    expect(selectPairs(rewards, { ...rule, strategy: 'max_min' }, rngFor(1))).toEqual([[1, 2]]);
  });

  it('max_max pairs the best with the runner-up, and a tie between them is dropped', () => {
    expect(candidatePairs(rewards, 'max_max', rngFor(1))).toEqual([[1, 3]]);
    expect(selectPairs(rewards, { ...rule, strategy: 'max_max' }, rngFor(1))).toEqual([]);
    expect(selectPairs(rewards, { dropTies: false, minMargin: 0, strategy: 'max_max' }, rngFor(1))).toEqual([[1, 3]]);
  });

  it('max_random pairs the best with each other sample about equally often', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const [[c, r]] = candidatePairs(rewards, 'max_random', rngFor(7, i));
      expect(c).toBe(1);
      counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([0, 2, 3, 4]);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(120);
  });

  it('random orders the two picked samples by reward', () => {
    for (let i = 0; i < 200; i++) {
      const [[c, r]] = candidatePairs(rewards, 'random', rngFor(3, i));
      expect(c).not.toBe(r);
      expect(rewards[c]).toBeGreaterThanOrEqual(rewards[r]);
    }
  });

  it('all_pairs lists n(n-1)/2 ordered pairs, minus ties when dropped', () => {
    expect(candidatePairs(rewards, 'all_pairs', rngFor(1))).toHaveLength(10);
    const kept = selectPairs(rewards, { ...rule, strategy: 'all_pairs' }, rngFor(1));
    expect(kept).toHaveLength(9);
    for (const [c, r] of kept) expect(rewards[c]).toBeGreaterThan(rewards[r]);
  });

  it('the minimum margin drops close pairs', () => {
    const kept = selectPairs(rewards, { dropTies: true, minMargin: 1.0, strategy: 'all_pairs' }, rngFor(1));
    expect(kept.map(([c, r]) => rewards[c] - rewards[r]).every((m) => m >= 1.0)).toBe(true);
    // Of the 10 pairs, the 2.0-2.0 tie (0) and 0.5-0.1 (0.4) fall under the margin.
    expect(kept).toHaveLength(8);
    expect(kept).not.toContainEqual([0, 4]);
  });

  it('every strategy is deterministic given the seed', () => {
    for (const strategy of ['max_min', 'max_random', 'max_max', 'random', 'all_pairs'] as const) {
      expect(selectPairs(rewards, { ...rule, strategy }, rngFor(5, 2))).toEqual(selectPairs(rewards, { ...rule, strategy }, rngFor(5, 2)));
    }
  });

  it('all-equal rewards give no pair once ties are dropped; fewer than two samples give none', () => {
    expect(selectPairs([1, 1, 1], { ...rule, strategy: 'max_min' }, rngFor(1))).toEqual([]);
    expect(selectPairs([1], { ...rule, strategy: 'all_pairs' }, rngFor(1))).toEqual([]);
  });
});
