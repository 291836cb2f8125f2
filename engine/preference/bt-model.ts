/**
 * The paper's r_MLE: a Bradley-Terry reward model linear in the task's feature map phi(x, a), fitted by maximum
 * likelihood (Newton's method, small ridge) on every preference collected so far. Linear is the paper's own
 * assumption and makes the fit exact and deterministic; phi comes from the task (bandit: its gold features).
 */
import { sigmoid } from './random';

export interface LinearRewardModel { kind: 'linear-bt'; weights: number[]; preferences: number; loss: number; accuracy: number }

/** Solve A x = b for small symmetric positive-definite A (Gaussian elimination with partial pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/** Fit w maximizing sum log sigmoid(w . (phi(chosen) - phi(rejected))) - ridge/2 |w|^2. */
export function fitLinearBT(diffs: number[][], dim: number, options: { maxIterations?: number; ridge?: number } = {}): LinearRewardModel {
  const ridge = options.ridge ?? 1e-2;
  const maxIterations = options.maxIterations ?? 50;
  let w = new Array<number>(dim).fill(0);
  for (let it = 0; it < maxIterations; it++) {
    const grad = w.map((x) => -ridge * x);
    const H = Array.from({ length: dim }, (_, i) => Array.from({ length: dim }, (_, j) => (i === j ? ridge : 0)));
    for (const d of diffs) {
      let z = 0;
      for (let k = 0; k < dim; k++) z += w[k] * d[k];
      const p = sigmoid(z);
      for (let i = 0; i < dim; i++) {
        grad[i] += (1 - p) * d[i];
        for (let j = 0; j < dim; j++) H[i][j] += p * (1 - p) * d[i] * d[j];
      }
    }
    const step = solve(H, grad);
    w = w.map((x, i) => x + step[i]);
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  let loss = 0, correct = 0;
  for (const d of diffs) {
    let z = 0;
    for (let k = 0; k < dim; k++) z += w[k] * d[k];
    loss -= Math.log(sigmoid(z));
    if (z > 0) correct++;
  }
  const n = Math.max(1, diffs.length);
  return { kind: 'linear-bt', weights: w, preferences: diffs.length, loss: loss / n, accuracy: correct / n };
}

export function linearReward(model: LinearRewardModel, features: number[]): number {
  let s = 0;
  for (let k = 0; k < features.length; k++) s += model.weights[k] * features[k];
  return s;
}
