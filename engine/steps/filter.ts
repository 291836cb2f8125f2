/**
 * filter: pairs per prompt from the scored responses, following the plan: the pair strategy directly, or
 * statistical rejection sampling first (RSO / multi-step RS) and the strategy over the accepted responses.
 * Ties and pairs under the minimum margin are dropped; the iteration's label budget caps the pairs (prompt
 * order). The reward source says who labels each pair (a bt-model source only picks it; the simulated human labels it).
 */
import { groupByPrompt } from '../preference/groups';
import { selectPairs } from '../preference/pairs';
import { rejectionSample } from '../preference/rso';
import { rewardSourceFor } from '../preference/sources';
import type { Pair, ScoredSample } from '../preference/types';
import { findOutput, keyOf, putJson, readRows, rngOf } from './common';
import { stepPlan } from './plan-of';
import type { FilterInput, FilterOutput, StepContext } from './types';

export async function filter(ctx: StepContext, input: FilterInput): Promise<FilterOutput> {
  const outputKey = keyOf(ctx, 'filter', 'output.json');
  const done = await findOutput<FilterOutput>(ctx.store, outputKey);
  if (done) return done;
  const plan = stepPlan(ctx.spec, ctx.iteration);
  const rule = ctx.spec.pairs;
  const source = rewardSourceFor(ctx.spec.reward.source);
  const groups = groupByPrompt(await readRows<ScoredSample>(ctx.store, [input.scored]));
  const out: Pair[] = [];
  const budget = plan.labelBudget > 0 ? plan.labelBudget : Infinity;

  for (let g = 0; g < groups.length && out.length < budget; g++) {
    const rng = rngOf(ctx, 'filter', plan.stage, g);
    let pool = groups[g];
    if (plan.filter.kind === 'rejection') {
      const accepted = rejectionSample(pool.map((s) => s.reward), plan.filter.accepted, plan.filter.beta, rng);
      pool = accepted.map((i) => pool[i]);
    }
    const rewards = pool.map((s) => s.reward);
    for (const [c, r] of selectPairs(rewards, { ...rule, strategy: plan.filter.strategy }, rng)) {
      if (out.length >= budget) break;
      const { chosen, rejected, labeler } = source.label(pool[c], pool[r], rng);
      out.push({
        promptIndex: chosen.promptIndex, prompt: chosen.prompt, chosen: chosen.response, rejected: rejected.response,
        chosenReward: chosen.reward, rejectedReward: rejected.reward, margin: chosen.reward - rejected.reward,
        provenance: {
          chosenTemperature: chosen.temperature, rejectedTemperature: rejected.temperature,
          chosenSampler: chosen.sampler, rejectedSampler: rejected.sampler,
          sourceIteration: Math.max(chosen.sourceIteration, rejected.sourceIteration), stage: plan.stage, labeler,
        },
      });
    }
  }
  const pairs = await ctx.store.putJsonl(keyOf(ctx, 'filter', 'pairs.jsonl'), out);
  const result: FilterOutput = { pairs, count: out.length, labels: out.length };
  await putJson(ctx.store, outputKey, result);
  return result;
}
