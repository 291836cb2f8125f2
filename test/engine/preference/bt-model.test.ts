import { fitLinearBT, linearReward } from '../../../engine/preference/bt-model';
import { askOracle } from '../../../engine/preference/oracle';
import { normal } from '../../../engine/preference/random';
import { rngFor } from '../../../engine/sampling/rng';

/** Kendall's tau between two score lists. */
function kendall(a: number[], b: number[]): number {
  let s = 0, n = 0;
  for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) { s += Math.sign(a[i] - a[j]) * Math.sign(b[i] - b[j]); n++; }
  return s / n;
}

describe('Bradley-Terry reward model r_MLE (linear in features)', () => {
  const dim = 5;
  const rng = rngFor(31);
  const theta = Array.from({ length: dim }, () => normal(rng));
  const items = Array.from({ length: 40 }, () => Array.from({ length: dim }, () => normal(rng)));
  const truth = items.map((phi) => phi.reduce((s, x, k) => s + theta[k] * x, 0));

  it('recovers the ranking of a known reward from oracle preferences', () => {
    const diffs: number[][] = [];
    for (let q = 0; q < 3000; q++) {
      const i = rng.nextInt(items.length);
      let j = rng.nextInt(items.length - 1);
      if (j >= i) j++;
      const [c, r] = askOracle(truth[i], truth[j], 1.0, rng) ? [i, j] : [j, i];
      diffs.push(items[c].map((x, k) => x - items[r][k]));
    }
    const model = fitLinearBT(diffs, dim);
    const fitted = items.map((phi) => linearReward(model, phi));
    expect(kendall(fitted, truth)).toBeGreaterThan(0.9);
    expect(fitted.indexOf(Math.max(...fitted))).toBe(truth.indexOf(Math.max(...truth)));
    // The MLE is consistent: the fitted weights point along theta.
    const cos = model.weights.reduce((s, w, k) => s + w * theta[k], 0) / Math.hypot(...model.weights) / Math.hypot(...theta);
    expect(cos).toBeGreaterThan(0.98);
  });

  it('with no preferences the fit is the zero reward (every ranking ties)', () => {
    expect(fitLinearBT([], dim).weights).toEqual(new Array(dim).fill(0));
  });
});
