/**
 * Pair construction over one prompt's scored responses. Best-of-n vs worst-of-n (`max_min`) approximates the
 * paper's main agent vs enhancer; the others are the choices seen in the official code.
 */
import type { PairStrategy } from '../../schemas/campaign';
import type { Rng } from '../sampling/rng';
import { InvalidInputError } from '../errors';

export interface PairRule { strategy: PairStrategy; dropTies: boolean; minMargin: number }

/** [chosen, rejected] indices into `rewards`. */
export type IndexPair = [number, number];

function order(rewards: number[], i: number, j: number): IndexPair {
  return rewards[i] >= rewards[j] ? [i, j] : [j, i];
}

/** Highest reward, lowest index on ties (so the result never depends on iteration order). */
function argBest(rewards: number[], skip = -1): number {
  let best = -1;
  for (let i = 0; i < rewards.length; i++) if (i !== skip && (best < 0 || rewards[i] > rewards[best])) best = i;
  return best;
}

function argWorst(rewards: number[]): number {
  let worst = 0;
  for (let i = 1; i < rewards.length; i++) if (rewards[i] < rewards[worst]) worst = i;
  return worst;
}

/** Candidate pairs before tie and margin filtering; `rng` is used only by the random strategies. */
export function candidatePairs(rewards: number[], strategy: PairStrategy, rng: Rng): IndexPair[] {
  const n = rewards.length;
  if (n < 2) return [];
  switch (strategy) {
    case 'max_min': {
      const best = argBest(rewards);
      let worst = argWorst(rewards);
      if (worst === best) worst = best === 0 ? 1 : 0; // every reward equal: a tie pair, dropped or kept by the rule
      return [[best, worst]];
    }
    case 'max_max': {
      const best = argBest(rewards);
      return [[best, argBest(rewards, best)]];
    }
    case 'max_random': {
      const best = argBest(rewards);
      let other = rng.nextInt(n - 1);
      if (other >= best) other += 1;
      return [[best, other]];
    }
    case 'random': {
      const i = rng.nextInt(n);
      let j = rng.nextInt(n - 1);
      if (j >= i) j += 1;
      return [order(rewards, i, j)];
    }
    case 'all_pairs': {
      const out: IndexPair[] = [];
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push(order(rewards, i, j));
      return out;
    }
    default:
      throw new InvalidInputError(`pairs.strategy: unknown strategy '${String(strategy)}'; use one of max_min, max_random, max_max, random, all_pairs`);
  }
}

/** Pairs of one prompt after dropping ties (equal rewards) and pairs below the minimum margin. */
export function selectPairs(rewards: number[], rule: PairRule, rng: Rng): IndexPair[] {
  return candidatePairs(rewards, rule.strategy, rng).filter(([c, r]) => {
    const margin = rewards[c] - rewards[r];
    if (rule.dropTies && margin === 0) return false;
    return margin >= rule.minMargin;
  });
}
