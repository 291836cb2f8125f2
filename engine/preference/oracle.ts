/**
 * The simulated human: Bradley-Terry preferences over a gold reward, P(a1 > a2) = sigmoid((r1 - r2) / temperature).
 */
import type { Rng } from '../sampling/rng';
import { gumbel, sigmoid } from './random';

export function preferenceProbability(r1: number, r2: number, temperature: number): number {
  return sigmoid((r1 - r2) / temperature);
}

/** One preference query: true when the first response is preferred. One uniform per query. */
export function askOracle(r1: number, r2: number, temperature: number, rng: Rng): boolean {
  return rng.next() < preferenceProbability(r1, r2, temperature);
}

/**
 * The utilities a Bradley-Terry labeler perceives when it ranks n responses at once: r + temperature * Gumbel.
 * Any two of them compare with exactly the BT probability (the difference of two Gumbels is logistic), so a
 * best-of-n vs worst-of-n pair chosen on them is a pair the simulated human labeled (Plackett-Luce ranking).
 */
export function perceivedUtilities(rewards: number[], temperature: number, rng: Rng): number[] {
  return rewards.map((r) => r + temperature * gumbel(rng));
}
