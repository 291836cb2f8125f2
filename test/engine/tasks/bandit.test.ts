import { createBandit, MAX_ENUMERABLE_RESPONSES } from '../../../engine/tasks/bandit';
import { rngFor } from '../../../engine/sampling/rng';

const config = { vocab: 3, promptLength: 2, responseLength: 3, trainPrompts: 20, evalPrompts: 8, featureDim: 4, rewardScale: 2 };

/** Least-squares residual of y on the columns of X (normal equations, tiny sizes). */
function residual(X: number[][], y: number[]): number {
  const d = X[0].length;
  const A = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => X.reduce((s, r) => s + r[i] * r[j], 0)));
  const b = Array.from({ length: d }, (_, i) => X.reduce((s, r, n) => s + r[i] * y[n], 0));
  for (let c = 0; c < d; c++) for (let r = c + 1; r < d; r++) { const f = A[r][c] / A[c][c]; for (let k = c; k < d; k++) A[r][k] -= f * A[c][k]; b[r] -= f * b[c]; }
  const w = new Array<number>(d).fill(0);
  for (let r = d - 1; r >= 0; r--) { let s = b[r]; for (let k = r + 1; k < d; k++) s -= A[r][k] * w[k]; w[r] = s / A[r][r]; }
  return Math.max(...y.map((v, n) => Math.abs(v - X[n].reduce((s, x, k) => s + x * w[k], 0))));
}

describe('bandit task', () => {
  const task = createBandit(config, 7);

  it('enumerates vocab^responseLength responses, all distinct and in range', () => {
    const all = task.allResponses();
    expect(all).toHaveLength(27);
    expect(new Set(all.map((a) => a.join(','))).size).toBe(27);
    expect(all.every((a) => a.length === 3 && a.every((t) => t >= 0 && t < 3))).toBe(true);
  });

  it('is a pure function of the seed', () => {
    const again = createBandit(config, 7), other = createBandit(config, 8);
    expect(again.trainPrompts).toEqual(task.trainPrompts);
    expect(again.gold([0, 1], [2, 2, 0])).toBe(task.gold([0, 1], [2, 2, 0]));
    expect(other.gold([0, 1], [2, 2, 0])).not.toBe(task.gold([0, 1], [2, 2, 0]));
  });

  it('has a gold reward linear in phi(x, a), with standard deviation rewardScale over held-out responses', () => {
    const X: number[][] = [], y: number[] = [];
    for (const x of task.evalPrompts.slice(0, 3)) for (const a of task.allResponses()) { X.push(task.features(x, a)); y.push(task.gold(x, a)); }
    expect(residual(X, y)).toBeLessThan(1e-9);
    const rewards = task.evalPrompts.flatMap((x) => task.allResponses().map((a) => task.gold(x, a)));
    const mean = rewards.reduce((s, r) => s + r, 0) / rewards.length;
    const std = Math.sqrt(rewards.reduce((s, r) => s + (r - mean) ** 2, 0) / rewards.length);
    expect(std).toBeCloseTo(2, 6);
  });

  it('base samples are prompts of the training pool with full-length responses from a non-uniform chain', () => {
    const samples = task.baseSamples(rngFor(1), 3000);
    const pool = new Set(task.trainPrompts.map((p) => p.join(',')));
    expect(samples.every((s) => pool.has(s.prompt.join(',')) && s.response.length === 3)).toBe(true);
    const counts = new Map<string, number>();
    for (const s of samples) counts.set(s.response.join(','), (counts.get(s.response.join(',')) ?? 0) + 1);
    expect(Math.max(...counts.values()) / 3000).toBeGreaterThan(2 / 27);
  });

  it('refuses a response space too large to enumerate, naming the fields to lower', () => {
    expect(() => createBandit({ ...config, vocab: 16, responseLength: 8 }, 1)).toThrow(new RegExp(`16\\^8 .*max ${MAX_ENUMERABLE_RESPONSES}.*task.vocab or task.responseLength`));
  });
});
