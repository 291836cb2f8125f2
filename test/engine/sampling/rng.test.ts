import { rngFor, streamId } from '../../../engine/sampling/rng';

function draws(seed: number, streams: number[], n: number): number[] {
  const r = rngFor(seed, ...streams);
  return Array.from({ length: n }, () => r.next());
}

describe('rngFor', () => {
  it('gives the same numbers for the same stream name, whatever else was drawn before', () => {
    const a = draws(7, [1, 2, 3], 50);
    draws(7, [9, 9], 1000);
    expect(draws(7, [1, 2, 3], 50)).toEqual(a);
  });

  it('gives different streams for different seeds, stream ids, and id-list lengths', () => {
    const base = draws(7, [1, 2], 8);
    for (const [seed, streams] of [[8, [1, 2]], [7, [2, 1]], [7, [1, 3]], [7, [1, 2, 0]], [7, [1]]] as [number, number[]][]) {
      expect(draws(seed, streams, 8)).not.toEqual(base);
    }
  });

  it('draws uniform [0, 1) values and unbiased integers', () => {
    const r = rngFor(123, 4);
    const n = 40000;
    const bins = new Array(10).fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      bins[Math.floor(u * 10)]++;
      sum += u;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    // chi-square with 9 degrees of freedom; 27.88 is the 0.999 quantile.
    const chi = bins.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
    expect(chi).toBeLessThan(27.88);
    const ints = new Array(3).fill(0);
    for (let i = 0; i < 30000; i++) ints[r.nextInt(3)]++;
    for (const c of ints) expect(Math.abs(c - 10000)).toBeLessThan(500);
    expect(r.nextUint32()).toBeGreaterThanOrEqual(0);
  });

  it('neighbouring streams are uncorrelated', () => {
    const a = draws(0, [0, 0], 5000);
    const b = draws(0, [0, 1], 5000);
    const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
    const ma = mean(a), mb = mean(b);
    let cov = 0, va = 0, vb = 0;
    for (let i = 0; i < a.length; i++) {
      cov += (a[i] - ma) * (b[i] - mb);
      va += (a[i] - ma) ** 2;
      vb += (b[i] - mb) ** 2;
    }
    expect(Math.abs(cov / Math.sqrt(va * vb))).toBeLessThan(0.05);
  });

  it('rejects ids that are not 32-bit non-negative integers', () => {
    expect(() => rngFor(-1)).toThrow(/seed must be an integer/);
    expect(() => rngFor(1, 0.5)).toThrow(/stream id #1/);
    expect(() => rngFor(1, 2, 2 ** 32)).toThrow(/stream id #2/);
    expect(() => rngFor(1).nextInt(0)).toThrow(/maxExclusive/);
  });

  it('names streams stably', () => {
    expect(streamId('sample')).toBe(streamId('sample'));
    expect(streamId('sample')).not.toBe(streamId('update'));
    // FNV-1a reference value for the empty string
    expect(streamId('')).toBe(0x811c9dc5);
  });
});
