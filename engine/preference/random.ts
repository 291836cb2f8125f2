/** Draws built on the shared seeded Rng (engine/sampling/rng.ts); nothing here holds hidden state. */
import type { Rng } from '../sampling/rng';

/** Standard normal (Box-Muller; one pair of uniforms per call, so streams stay aligned). */
export function normal(rng: Rng): number {
  const u1 = 1 - rng.next(); // (0, 1]: log never sees 0
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Standard Gumbel: -log(-log U). */
export function gumbel(rng: Rng): number {
  const u = rng.next();
  return -Math.log(-Math.log(Math.min(Math.max(u, 1e-300), 1 - 1e-16)));
}

/** Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
