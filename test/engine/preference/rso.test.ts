import { acceptanceProbabilities, rejectionSample, stageRejectionBeta } from '../../../engine/preference/rso';
import { rngFor } from '../../../engine/sampling/rng';

/** Pearson chi-square statistic of observed counts against expected probabilities. */
function chiSquare(counts: number[], probs: number[], n: number): number {
  return counts.reduce((s, c, i) => s + (c - n * probs[i]) ** 2 / (n * probs[i]), 0);
}

describe('RSO statistical rejection sampling', () => {
  // The best candidate last, so every candidate can be the first accepted of a sweep.
  const rewards = [0.3, 0.1, 0.8, 0.5, 1.0];
  const beta = 0.4;

  it('accepts each candidate in a sweep with probability exp((r - max r)/beta)', () => {
    const p = acceptanceProbabilities(rewards, [0, 1, 2, 3, 4], beta);
    rewards.forEach((r, i) => expect(p.get(i)).toBeCloseTo(Math.exp((r - 1.0) / beta), 12));
    // Over the candidates not yet accepted: without the best one, the max is 0.8.
    expect(acceptanceProbabilities(rewards, [0, 1, 2], beta).get(0)).toBeCloseTo(Math.exp((0.3 - 0.8) / beta), 12);
  });

  it('the first accepted candidate follows p_i * prod_{j<i} (1 - p_j) (chi-square, 4 dof, p > 0.001)', () => {
    const p = rewards.map((r) => Math.exp((r - 1.0) / beta));
    const expected = p.map((pi, i) => pi * p.slice(0, i).reduce((a, pj) => a * (1 - pj), 1));
    const total = expected.reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 12); // the best candidate (p = 1) always ends the first sweep
    const n = 20000;
    const counts = new Array<number>(rewards.length).fill(0);
    const rng = rngFor(2024);
    for (let i = 0; i < n; i++) counts[rejectionSample(rewards, 1, beta, rng)[0]]++;
    // Critical value of chi-square with 4 degrees of freedom at 0.001 is 18.47.
    expect(chiSquare(counts, expected, n)).toBeLessThan(18.47);
  });

  it('with k = 2 the second acceptance uses the max over the remaining candidates (chi-square)', () => {
    // Two candidates: the best is always accepted in sweep 1; the other is accepted in the same sweep with
    // probability exp((r - max)/beta) (before or after the best, by order), else alone in sweep 2 (p = 1 then).
    const r = [0.2, 1.0];
    const p0 = Math.exp((0.2 - 1.0) / beta);
    const n = 20000;
    let firstIsZero = 0, incomplete = 0;
    const rng = rngFor(99);
    for (let i = 0; i < n; i++) {
      const acc = rejectionSample(r, 2, beta, rng);
      if (acc.length !== 2 || acc[0] === acc[1]) incomplete++;
      if (acc[0] === 0) firstIsZero++;
    }
    expect(incomplete).toBe(0);
    expect(chiSquare([firstIsZero, n - firstIsZero], [p0, 1 - p0], n)).toBeLessThan(10.83);
  });

  it('accepted samples of pi0 candidates approach pi0 exp(r/beta) / Z (KS over the discrete CDF)', () => {
    // pi0 over 4 responses; 64 candidates per draw, keep one: the accepted response's law tends to the tilt.
    const pi0 = [0.4, 0.3, 0.2, 0.1], r = [0, 0.5, 1.0, 1.5];
    const tilt = pi0.map((p, i) => p * Math.exp(r[i] / 0.5));
    const z = tilt.reduce((a, b) => a + b, 0);
    const target = tilt.map((t) => t / z);
    const rng = rngFor(5);
    const draws = 4000, counts = [0, 0, 0, 0];
    for (let d = 0; d < draws; d++) {
      const cands = Array.from({ length: 64 }, () => { let u = rng.next(), i = 0; while (u >= pi0[i] && i < 3) { u -= pi0[i]; i++; } return i; });
      counts[cands[rejectionSample(cands.map((i) => r[i]), 1, 0.5, rng)[0]]]++;
    }
    let cdfO = 0, cdfT = 0, ks = 0;
    for (let i = 0; i < 4; i++) { cdfO += counts[i] / draws; cdfT += target[i]; ks = Math.max(ks, Math.abs(cdfO - cdfT)); }
    expect(ks).toBeLessThan(0.05);
  });

  it('is deterministic given the seed and stops at k', () => {
    expect(rejectionSample(rewards, 3, beta, rngFor(1, 2))).toEqual(rejectionSample(rewards, 3, beta, rngFor(1, 2)));
    expect(rejectionSample(rewards, 3, beta, rngFor(1, 2))).toHaveLength(3);
    expect(rejectionSample(rewards, 9, beta, rngFor(1, 2))).toHaveLength(rewards.length);
  });

  it('the annealed stage temperature is 1/(1/eta_s - 1/eta_{s-1}); a non-decreasing schedule is an error', () => {
    expect(stageRejectionBeta([1, 0.3, 0.1], 0)).toBeCloseTo(1, 12);
    expect(stageRejectionBeta([1, 0.3, 0.1], 1)).toBeCloseTo(1 / (1 / 0.3 - 1), 12);
    expect(stageRejectionBeta([1, 0.3, 0.1], 2)).toBeCloseTo(1 / (10 - 1 / 0.3), 12);
    expect(() => stageRejectionBeta([0.1, 0.3], 1)).toThrow(/strictly decreasing/);
  });
});
