/**
 * rank: a reward for every sampled response, from the spec's reward source (engine/preference/sources/, one file per
 * kind), minus the length penalty. Labels are counted where pairs are made (filter), so rank reports 0.
 */
import type { ArtifactRef } from '../../schemas/artifacts';
import { groupByPrompt } from '../preference/groups';
import { lengthPenalized } from '../preference/length-penalty';
import { rewardSourceFor } from '../preference/sources';
import type { Pair, Sample, ScoredSample } from '../preference/types';
import { findOutput, keyOf, putJson, readRows, taskOf } from './common';
import { rewardContextOf } from './reward-context';
import { stepPlan } from './plan-of';
import type { RankInput, RankOutput, StepContext } from './types';

/** Every preference pair the campaign collected before this iteration (D_off included). */
async function preferencesSoFar(ctx: StepContext): Promise<Pair[]> {
  const refs: ArtifactRef[] = [];
  for (let i = 0; i < ctx.iteration; i++) {
    const ref = await ctx.store.find(keyOf(ctx, 'filter', 'pairs.jsonl', i));
    if (ref) refs.push(ref);
  }
  return readRows<Pair>(ctx.store, refs);
}

export async function rank(ctx: StepContext, input: RankInput): Promise<RankOutput> {
  const outputKey = keyOf(ctx, 'rank', 'output.json');
  const done = await findOutput<RankOutput>(ctx.store, outputKey);
  if (done) return done;
  const task = await taskOf(ctx);
  const { stage } = stepPlan(ctx.spec, ctx.iteration);
  const groups = groupByPrompt(await readRows<Sample>(ctx.store, input.samples));
  const lambda = ctx.spec.reward.lengthPenalty;
  const rater = groups.map((group) => group.map((s) => task.raterReward(s.prompt, s.response)));
  const rewards = await rewardSourceFor(ctx.spec.reward.source).score(groups, rater, rewardContextOf(ctx, task, { step: 'rank', split: 'train', stage, preferencesSoFar: () => preferencesSoFar(ctx) }));
  // Without a gold reward (files task) there is nothing to keep for diagnostics.
  const known = (s: Sample, g: number, i: number) => (task.hasGold ? { raterReward: rater[g][i], gold: task.gold(s.prompt, s.response) } : {});
  const scored: ScoredSample[] = groups.flatMap((group, g) => group.map((s, i) => ({
    ...s, ...known(s, g, i), reward: lengthPenalized(rewards[g][i], task.responseLength(s.response), lambda),
  })));
  const out: RankOutput = { scored: await ctx.store.putJsonl(keyOf(ctx, 'rank', 'scored.jsonl'), scored), labels: 0 };
  await putJson(ctx.store, outputKey, out);
  return out;
}
