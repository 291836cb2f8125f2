/**
 * reward.source 'bt-oracle': the utilities the simulated human perceives, r + temperature * Gumbel; pairs chosen on
 * them are Bradley-Terry labels (see ../oracle.ts), so the oracle is the labeler and filter keeps their order.
 */
import type { RewardSourceSpec } from '../../../schemas/campaign';
import type { Rng } from '../../sampling/rng';
import { perceivedUtilities } from '../oracle';
import type { RewardSource } from '../reward-source';
import type { Sample } from '../types';

/**
 * The labeler's perceived utilities, one draw per distinct response: a rater shown the same text twice judges it
 * the same, so duplicate samples tie (and tie-dropping removes pairs that would teach nothing).
 */
export function perceivedPerResponse(group: Sample[], rater: number[], temperature: number, rng: Rng): number[] {
  const first = new Map<string, number>();
  const distinct: number[] = [];
  const slot = group.map((s, i) => {
    const key = s.response.join(',');
    if (!first.has(key)) { first.set(key, distinct.length); distinct.push(i); }
    return first.get(key)!;
  });
  const utilities = perceivedUtilities(distinct.map((i) => rater[i]), temperature, rng);
  return slot.map((k) => utilities[k]);
}

export function btOracleSource(spec: Extract<RewardSourceSpec, { kind: 'bt-oracle' }>): RewardSource {
  return {
    score: async (groups, rater, ctx) => groups.map((group, g) => perceivedPerResponse(group, rater[g], spec.temperature, ctx.groupRng(g))),
    label: (chosen, rejected) => ({ chosen, rejected, labeler: 'bt-oracle' }),
  };
}
