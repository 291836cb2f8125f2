/**
 * reward.source 'activity': a Temporal activity on the user's task queue scores the rendered (prompt, response) texts
 * (../activity-reward.ts). Its rewards decide the pairs, like gold's.
 */
import type { RewardSourceSpec } from '../../../schemas/campaign';
import { activityRewards } from '../activity-reward';
import { promptOf, rewardDecides, type RewardSource } from '../reward-source';

export function activitySource(spec: Extract<RewardSourceSpec, { kind: 'activity' }>): RewardSource {
  return {
    async score(groups, _rater, ctx) {
      const flat = groups.flat();
      const rows = flat.map((s) => ({ id: `${s.promptIndex}:${s.sampler}:${s.index}`, prompt: promptOf(ctx, s), response: ctx.task.render(s.response) }));
      const call = { store: ctx.store, campaign: ctx.campaign, iteration: ctx.iteration, step: ctx.step, caller: ctx.rewardActivity };
      const scores = await activityRewards(call, rows, spec);
      let at = 0;
      return groups.map((group) => group.map(() => scores[at++]));
    },
    label: rewardDecides,
  };
}
