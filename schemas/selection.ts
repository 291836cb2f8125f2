/**
 * evaluation.select: which held-out figure picks the campaign's best iteration. 'J' (reward - eta * KL, the paper's
 * objective) is the default; 'reward' and 'winRate' (against pi0) suit campaigns judged by a reward model or a judge
 * whose KL trade-off the user does not want in the choice. Pure, so the workflow and the runner choose alike.
 */
import type { EvalMetrics } from './results';

export const SELECT_BY = ['J', 'reward', 'winRate'] as const;
export type SelectBy = (typeof SELECT_BY)[number];

export function selectionValue(m: EvalMetrics, by: SelectBy): number {
  switch (by) {
    case 'reward': return m.reward;
    case 'winRate': return m.winRateVsInitial;
    default: return m.J;
  }
}

/** True when `candidate` beats `incumbent` (undefined: nothing yet); a NaN figure never wins, ties keep the earlier. */
export function betterThan(candidate: EvalMetrics, incumbent: EvalMetrics | undefined, by: SelectBy): boolean {
  const v = selectionValue(candidate, by);
  if (Number.isNaN(v)) return incumbent === undefined;
  if (incumbent === undefined) return true;
  const w = selectionValue(incumbent, by);
  return Number.isNaN(w) || v > w;
}

/** The best iteration so far as the campaign state carries it (small: it crosses continue-as-new). */
export interface BestIteration { iteration: number; J: number; reward?: number; winRate?: number }

/** The new best after `iteration` was evaluated as `m`; state from before evaluation.select lacks reward/winRate. */
export function updateBest(best: BestIteration | undefined, iteration: number, m: EvalMetrics, by: SelectBy): BestIteration {
  const incumbent = best && { J: best.J, reward: best.reward ?? NaN, winRateVsInitial: best.winRate ?? NaN, kl: 0, klStderr: 0, responseLength: 0, exact: false };
  if (!betterThan(m, incumbent, by)) return best!;
  return { iteration, J: m.J, reward: m.reward, winRate: m.winRateVsInitial };
}
