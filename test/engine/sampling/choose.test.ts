import { chooseToken, filteredProbabilities, argmax } from '../../../engine/sampling/choose';
import { rngFor } from '../../../engine/sampling/rng';

const logits = Float32Array.from([1.5, -0.3, 0.8, 2.1, 0.0, -1.2]);

function softmax(x: ArrayLike<number>, t: number): number[] {
  const m = Math.max(...Array.from(x));
  const e = Array.from(x, (v) => Math.exp((v - m) / t));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function counts(opts: { temperature: number; topK: number; topP: number }, n: number, seed = 42): number[] {
  const rng = rngFor(seed, 1);
  const c = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) c[chooseToken(logits, opts, rng)]++;
  return c;
}

function chiSquare(observed: number[], probs: number[]): number {
  const n = observed.reduce((a, b) => a + b, 0);
  return observed.reduce((s, o, i) => (probs[i] > 0 ? s + (o - n * probs[i]) ** 2 / (n * probs[i]) : s), 0);
}

describe('chooseToken', () => {
  it('the same seed gives the same tokens; another seed gives others', () => {
    const opts = { temperature: 1, topK: 0, topP: 1 };
    const run = (seed: number) => { const r = rngFor(seed, 3); return Array.from({ length: 64 }, () => chooseToken(logits, opts, r)); };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('top-k = 1 and temperature -> 0 are argmax, and still consume one draw each', () => {
    expect(argmax(logits)).toBe(3);
    const r1 = rngFor(1), r2 = rngFor(1);
    for (let i = 0; i < 20; i++) {
      expect(chooseToken(logits, { temperature: 1, topK: 1, topP: 1 }, r1)).toBe(3);
      expect(chooseToken(logits, { temperature: 0, topK: 0, topP: 1 }, r2)).toBe(3);
    }
    const fresh = rngFor(1);
    for (let i = 0; i < 20; i++) fresh.next();
    const after = fresh.next();
    expect(r1.next()).toBe(after);
    expect(r2.next()).toBe(after);
    // a very small positive temperature is effectively greedy too
    expect(new Set(counts({ temperature: 1e-3, topK: 0, topP: 1 }, 200))).toEqual(new Set([0, 200]));
    expect(argmax([2, 5, 5])).toBe(1);
  });

  it('empirical frequencies match softmax(logits / T) (chi-square, fixed seed)', () => {
    const t = 0.7;
    const obs = counts({ temperature: t, topK: 0, topP: 1 }, 20000);
    // 5 degrees of freedom: 20.52 is the 0.999 quantile
    expect(chiSquare(obs, softmax(logits, t))).toBeLessThan(20.52);
    // and the test has power: the same counts are far from the T = 1 distribution
    expect(chiSquare(obs, softmax(logits, 1))).toBeGreaterThan(100);
  });

  it('top-k restricts to the k most likely tokens with renormalised softmax weights', () => {
    const obs = counts({ temperature: 1, topK: 3, topP: 1 }, 12000);
    expect(obs[1]).toBe(0);
    expect(obs[4]).toBe(0);
    expect(obs[5]).toBe(0);
    const sm = softmax(logits, 1);
    const z = sm[3] + sm[0] + sm[2];
    const expected = sm.map((p, i) => ([0, 2, 3].includes(i) ? p / z : 0));
    expect(chiSquare(obs, expected)).toBeLessThan(13.82); // df 2, 0.999 quantile
  });

  it('top-p keeps the smallest nucleus whose mass reaches p', () => {
    const sm = softmax(logits, 1); // sorted: 3 (0.44), 0 (0.24), 2 (0.12), 4, 1, 5
    const p = filteredProbabilities(logits, { temperature: 1, topK: 0, topP: 0.6 });
    expect(sm[3] + sm[0]).toBeGreaterThanOrEqual(0.6);
    expect(sm[3]).toBeLessThan(0.6);
    expect(Array.from(p).map((v) => v > 0)).toEqual([true, false, false, true, false, false]);
    expect(p[3]).toBeCloseTo(sm[3] / (sm[3] + sm[0]), 12);
    const obs = counts({ temperature: 1, topK: 0, topP: 0.6 }, 5000);
    expect(obs[0] + obs[3]).toBe(5000);
    expect(chiSquare(obs, Array.from(p))).toBeLessThan(10.83); // df 1
  });

  it('skips -Infinity (masked) logits and rejects rows it cannot use', () => {
    const masked = [0, -Infinity, 0];
    const r = rngFor(9);
    for (let i = 0; i < 50; i++) expect(chooseToken(masked, { temperature: 1, topK: 0, topP: 1 }, r)).not.toBe(1);
    expect(() => chooseToken([0, NaN], { temperature: 1, topK: 0, topP: 1 }, r)).toThrow(/logits\[1\] is NaN/);
    expect(() => chooseToken([-Infinity], { temperature: 1, topK: 0, topP: 1 }, r)).toThrow(/every logit is -Infinity/);
    expect(() => chooseToken(logits, { temperature: -1, topK: 0, topP: 1 }, r)).toThrow(/temperature/);
    expect(() => chooseToken(logits, { temperature: 1, topK: 0, topP: 0 }, r)).toThrow(/topP/);
    expect(() => chooseToken(logits, { temperature: 1, topK: 1.5, topP: 1 }, r)).toThrow(/topK/);
  });

  it('a large row with ties and masked ids gives the same distribution as sorting the whole row', () => {
    // The reference is the definition: sort every candidate (logit descending, id ascending), keep the top k, then
    // the shortest prefix whose mass reaches p, renormalise.
    const reference = (row: Float32Array, o: { temperature: number; topK: number; topP: number }): Float64Array => {
      const order = Array.from(row.keys()).filter((i) => row[i] !== -Infinity).sort((a, b) => row[b] - row[a] || a - b);
      const keep = order.slice(0, o.topK > 0 ? o.topK : order.length);
      const w = keep.map((i) => Math.exp((row[i] - row[order[0]]) / o.temperature));
      const total = w.reduce((a, b) => a + b, 0);
      let n = keep.length;
      if (o.topP < 1) {
        let cum = 0;
        n = keep.findIndex((_, j) => (cum += w[j] / total) >= o.topP) + 1 || keep.length;
      }
      const z = w.slice(0, n).reduce((a, b) => a + b, 0);
      const out = new Float64Array(row.length);
      for (let j = 0; j < n; j++) out[keep[j]] = w[j] / z;
      return out;
    };
    const r = rngFor(3, 0);
    // Logits on a coarse grid so that many tie; every 7th id masked.
    const row = Float32Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? -Infinity : Math.round((r.next() - 0.5) * 40) / 4));
    for (const o of [
      { temperature: 1, topK: 0, topP: 1 }, { temperature: 0.7, topK: 50, topP: 1 }, { temperature: 1, topK: 0, topP: 0.9 },
      { temperature: 1.3, topK: 200, topP: 0.5 }, { temperature: 1, topK: 10000, topP: 0.95 }, { temperature: 0.5, topK: 0, topP: 0.01 },
    ]) {
      const got = filteredProbabilities(row, o);
      const want = reference(row, o);
      expect(Array.from(got, (p) => p > 0)).toEqual(Array.from(want, (p) => p > 0));
      for (let i = 0; i < row.length; i++) expect(got[i]).toBeCloseTo(want[i], 12);
    }
  });
});
