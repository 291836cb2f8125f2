/**
 * rank: a reward for every sampled response, from the spec's source, minus the length penalty.
 * - gold: the task's programmatic reward as its labeler perceives it (task.raterReward: gold, plus the text
 *   task's verbosity bias).
 * - bt-oracle: the utilities the simulated human perceives, r + temperature * Gumbel; pairs chosen on them are
 *   Bradley-Terry labels (see preference/oracle.ts).
 * - onnx: the user's sequence-classification reward model.
 * - bt-model: r_MLE, a linear Bradley-Terry model on the task's features, re-fitted here on every preference pair of
 *   iterations 0..t-1 (its fit is written as rank/reward-model.json). Before any preference exists, the first
 *   batch is ranked by the simulated human (as bt-oracle) to bootstrap it.
 * Labels are counted where pairs are made (filter), so rank reports 0.
 */
import type { ArtifactRef } from '../../schemas/artifacts';
import { fitLinearBT, linearReward, type LinearRewardModel } from '../preference/bt-model';
import { lengthPenalized } from '../preference/length-penalty';
import { loadOnnxRewardModel, retokenizerFor } from '../preference/onnx-reward';
import { perceivedUtilities } from '../preference/oracle';
import type { Pair, Sample, ScoredSample } from '../preference/types';
import type { Task } from '../tasks';
import { findOutput, keyOf, putJson, readRows, rngOf, taskOf } from './common';
import type { Rng } from './engine-parts';
import { stepPlan } from './plan-of';
import type { RankInput, RankOutput, StepContext } from './types';
import { InvalidInputError } from '../errors';

const SAMPLER_ORDER = { policy: 0, initial: 1 } as const;

/** Samples grouped by prompt, in a fixed order whatever order the shards arrived in. */
export function groupByPrompt<T extends Sample>(rows: T[]): T[][] {
  const sorted = [...rows].sort((a, b) => a.promptIndex - b.promptIndex || SAMPLER_ORDER[a.sampler] - SAMPLER_ORDER[b.sampler] || a.index - b.index);
  const groups: T[][] = [];
  for (const r of sorted) {
    const last = groups[groups.length - 1];
    if (last && last[0].promptIndex === r.promptIndex) last.push(r);
    else groups.push([r]);
  }
  return groups;
}

/**
 * The labeler's perceived utilities, one draw per distinct response: a rater shown the same text twice judges it
 * the same, so duplicate samples tie (and tie-dropping removes pairs that would teach nothing).
 */
function perceivedPerResponse(group: Sample[], rater: number[], temperature: number, rng: Rng): number[] {
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

/** Every preference pair the campaign collected before this iteration (D_off included). */
async function preferencesSoFar(ctx: StepContext): Promise<Pair[]> {
  const refs: ArtifactRef[] = [];
  for (let i = 0; i < ctx.iteration; i++) {
    const ref = await ctx.store.find(keyOf(ctx, 'filter', 'pairs.jsonl', i));
    if (ref) refs.push(ref);
  }
  return readRows<Pair>(ctx.store, refs);
}

async function fitRewardModel(ctx: StepContext, task: Task): Promise<LinearRewardModel | undefined> {
  const prefs = await preferencesSoFar(ctx);
  if (prefs.length === 0) return undefined;
  const diffs = prefs.map((p) => {
    const c = task.features(p.prompt, p.chosen), r = task.features(p.prompt, p.rejected);
    return c.map((x, k) => x - r[k]);
  });
  const source = ctx.spec.reward.source;
  const model = fitLinearBT(diffs, task.featureDim, { maxIterations: source.kind === 'bt-model' ? source.steps : 50 });
  await putJson(ctx.store, keyOf(ctx, 'rank', 'reward-model.json'), model);
  return model;
}

export async function rank(ctx: StepContext, input: RankInput): Promise<RankOutput> {
  const outputKey = keyOf(ctx, 'rank', 'output.json');
  const done = await findOutput<RankOutput>(ctx.store, outputKey);
  if (done) return done;
  const task = taskOf(ctx);
  const { stage } = stepPlan(ctx.spec, ctx.iteration);
  const groups = groupByPrompt(await readRows<Sample>(ctx.store, input.samples));
  const source = ctx.spec.reward.source;
  const lambda = ctx.spec.reward.lengthPenalty;
  const scoredGroups: ScoredSample[][] = [];

  let onnxScores: Float64Array | undefined;
  if (source.kind === 'onnx') {
    // Without a tokenizer the model reads the task's own token ids; with one, the task's text re-encoded.
    const retokenizer = source.tokenizer ? retokenizerFor(source.tokenizer, (ids) => task.render(ids)) : undefined;
    const model = await loadOnnxRewardModel(source.model, { threads: ctx.spec.execution.threads, padId: retokenizer?.padId });
    const flat = groups.flat();
    const encode = retokenizer ? (ids: number[]) => retokenizer.encode(ids) : (ids: number[]) => ids;
    onnxScores = await model.score(flat.map((s) => encode(s.prompt)), flat.map((s) => encode(s.response)));
  }
  const rewardModel = source.kind === 'bt-model' ? await fitRewardModel(ctx, task) : undefined;

  let at = 0;
  groups.forEach((group, g) => {
    const rater = group.map((s) => task.raterReward(s.prompt, s.response));
    let rewards: number[];
    switch (source.kind) {
      case 'gold': rewards = rater; break;
      case 'bt-oracle': rewards = perceivedPerResponse(group, rater, source.temperature, rngOf(ctx, 'rank', stage, g)); break;
      case 'bt-model':
        rewards = rewardModel
          ? group.map((s) => linearReward(rewardModel, task.features(s.prompt, s.response)))
          : perceivedPerResponse(group, rater, source.oracleTemperature, rngOf(ctx, 'rank', stage, g));
        break;
      case 'onnx': rewards = group.map((_, i) => onnxScores![at + i]); break;
      default: throw new InvalidInputError(`reward.source.kind '${String((source as { kind: string }).kind)}' is not known`);
    }
    at += group.length;
    scoredGroups.push(group.map((s, i) => ({ ...s, raterReward: rater[i], gold: task.gold(s.prompt, s.response), reward: lengthPenalized(rewards[i], task.responseLength(s.response), lambda) })));
  });
  const scored = await ctx.store.putJsonl(keyOf(ctx, 'rank', 'scored.jsonl'), scoredGroups.flat());
  const out: RankOutput = { scored, labels: 0 };
  await putJson(ctx.store, outputKey, out);
  return out;
}
