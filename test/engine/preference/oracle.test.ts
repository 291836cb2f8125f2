import { askOracle, perceivedUtilities, preferenceProbability } from '../../../engine/preference/oracle';
import { sigmoid } from '../../../engine/preference/random';
import { rngFor } from '../../../engine/sampling/rng';

describe('Bradley-Terry oracle (the simulated human)', () => {
  const n = 20000;
  // 4 standard errors of a binomial proportion.
  const tolerance = (p: number) => 4 * Math.sqrt((p * (1 - p)) / n);

  it.each([[1.0, 0.0, 1.0], [0.2, 0.5, 0.5], [2.0, -1.0, 2.0], [0.3, 0.3, 1.0]])(
    'answers r1=%p vs r2=%p at temperature %p with frequency sigmoid((r1-r2)/T)', (r1, r2, temperature) => {
      const p = sigmoid((r1 - r2) / temperature);
      expect(preferenceProbability(r1, r2, temperature)).toBeCloseTo(p, 14);
      const rng = rngFor(11);
      let wins = 0;
      for (let i = 0; i < n; i++) if (askOracle(r1, r2, temperature, rng)) wins++;
      expect(Math.abs(wins / n - p)).toBeLessThan(tolerance(p));
    });

  it('perceived utilities (r + T * Gumbel) order any two responses with the same BT probability', () => {
    const rewards = [0.0, 0.7, -0.4];
    const temperature = 0.5;
    const rng = rngFor(12);
    let firstOverSecond = 0, secondOverThird = 0;
    for (let i = 0; i < n; i++) {
      const u = perceivedUtilities(rewards, temperature, rng);
      if (u[0] > u[1]) firstOverSecond++;
      if (u[1] > u[2]) secondOverThird++;
    }
    const p01 = sigmoid((0.0 - 0.7) / temperature), p12 = sigmoid((0.7 + 0.4) / temperature);
    expect(Math.abs(firstOverSecond / n - p01)).toBeLessThan(tolerance(p01));
    expect(Math.abs(secondOverThird / n - p12)).toBeLessThan(tolerance(p12));
  });
});
