/**
 * Statistical rejection sampling (RSO, Liu et al. 2023): from candidates of a proposal policy, accept y with
 * probability exp((r(y) - max r) / beta), the max taken over candidates not yet accepted; sweep until k are
 * accepted. Accepted samples approximate pi_proposal * exp(r / beta) / Z. The multi-step version anneals eta.
 */
import type { Rng } from '../sampling/rng';
import { InvalidInputError } from '../errors';

/** Acceptance probability of each remaining candidate in one sweep. */
export function acceptanceProbabilities(rewards: number[], remaining: number[], beta: number): Map<number, number> {
  let max = -Infinity;
  for (const i of remaining) max = Math.max(max, rewards[i]);
  return new Map(remaining.map((i) => [i, Math.exp((rewards[i] - max) / beta)]));
}

/** Indices of the accepted candidates, in acceptance order (the reference implementation's loop, seeded). */
export function rejectionSample(rewards: number[], k: number, beta: number, rng: Rng): number[] {
  if (!(beta > 0)) throw new InvalidInputError(`rejection sampling: beta must be > 0, got ${beta}`);
  const target = Math.min(k, rewards.length);
  const accepted: number[] = [];
  let remaining = rewards.map((_, i) => i);
  while (accepted.length < target) {
    const p = acceptanceProbabilities(rewards, remaining, beta);
    const taken = new Set<number>();
    for (const i of remaining) {
      // One uniform per remaining candidate per sweep, drawn in candidate order.
      if (rng.next() < p.get(i)!) {
        accepted.push(i);
        taken.add(i);
        if (accepted.length === target) break;
      }
    }
    remaining = remaining.filter((i) => !taken.has(i));
  }
  return accepted;
}

/**
 * Stage s of the annealed schedule samples from pi_{s-1} ~ pi0 exp(r/eta_{s-1}) and targets pi0 exp(r/eta_s),
 * i.e. pi_{s-1} exp(r * (1/eta_s - 1/eta_{s-1})): the rejection temperature for stage s (1/eta_0 = 0).
 */
export function stageRejectionBeta(schedule: number[], stage: number): number {
  const inv = 1 / schedule[stage] - (stage > 0 ? 1 / schedule[stage - 1] : 0);
  if (!(inv > 0)) throw new InvalidInputError(`rejectionSampling.etaSchedule must be strictly decreasing, got [${schedule.join(', ')}]`);
  return 1 / inv;
}
