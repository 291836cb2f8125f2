/**
 * rank: a reward for every sampled response, from the spec's source, minus the length penalty.
 * - gold: the task's programmatic reward as its labeler perceives it (task.raterReward: gold, plus the text
 *   task's verbosity bias).
 * - bt-oracle: the utilities the simulated human perceives, r + temperature * Gumbel; pairs chosen on them are
 *   Bradley-Terry labels (see preference/oracle.ts).
 * - onnx: the user's sequence-classification reward model, read from under the store root (preference/user-file.ts).
 * - activity: a Temporal activity on the user's task queue scores the rendered (prompt, response) texts
 *   (preference/activity-reward.ts).
 * - bt-model: r_MLE, re-fitted here on every preference pair of iterations 0..t-1. model 'linear': Bradley-Terry
 *   linear in the task's features, fitted by Newton (rank/reward-model.json). model 'neural': the policy's trunk
 *   with a scalar head, `steps` AdamW minibatch steps at `lr`, warm-started from the previous iteration's reward
 *   model (rank/reward-model.safetensors: a prefloop checkpoint with AdamW moments, whose metadata warmStart is
 *   the sha256 it started from) or else from a seeded init. Before any preference exists, the first batch is
 *   ranked by the simulated human (as bt-oracle) to bootstrap it.
 * Labels are counted where pairs are made (filter), so rank reports 0.
 */
import { MEDIA_TYPES, type ArtifactRef } from '../../schemas/artifacts';
import type { RewardRuntime, TrainState } from '../model/api';
import { initRewardModel } from '../model/gpt';
import { createRewardRuntime } from '../model/reward-runtime';
import { fitLinearBT, linearReward, type LinearRewardModel } from '../preference/bt-model';
import { fitNeuralBT } from '../preference/neural-bt';
import { hostRewardRuntime } from '../runtime/hosted';
import { lengthPenalized } from '../preference/length-penalty';
import { loadOnnxRewardModel, retokenizerFor } from '../preference/onnx-reward';
import { activityRewards } from '../preference/activity-reward';
import { isRewardModelDir, loadOnnxRewardModelDir } from '../preference/onnx-reward-dir';
import { perceivedUtilities } from '../preference/oracle';
import type { Pair, Sample, ScoredSample } from '../preference/types';
import type { Task } from '../tasks';
import { checkAborted, findOutput, keyOf, putJson, readRows, resolvedModelConfig, rngOf, taskOf } from './common';
import { decodeCheckpoint, encodeCheckpoint, type Rng } from './engine-parts';
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

/** Pairs per AdamW step of the neural fit: a few dozen pairs per iteration is the scale of these campaigns. */
const NEURAL_BATCH = 16;
const NEURAL_MODEL = 'reward-model.safetensors';

async function createRewardModelRuntime(ctx: StepContext, task: Task): Promise<RewardRuntime> {
  const config = resolvedModelConfig(ctx.spec, task);
  const { provider, fallback, threads } = ctx.spec.execution;
  // Off the event loop in Temporal workers, like the policy (compute-placement.ts).
  return ctx.compute === 'worker-thread' ? hostRewardRuntime(config, { provider, fallback, threads }) : createRewardRuntime(config, { provider, fallback, threads });
}

/**
 * The neural r_MLE's scores of `flat`, after re-fitting it on every preference so far; undefined before any exists.
 * A re-run after a crash warm-starts from the same previous-iteration model, so it writes the same bytes.
 */
async function neuralRewardScores(ctx: StepContext, task: Task, flat: Sample[]): Promise<Float64Array | undefined> {
  const prefs = await preferencesSoFar(ctx);
  if (prefs.length === 0) return undefined;
  const source = ctx.spec.reward.source;
  if (source.kind !== 'bt-model') throw new Error('neuralRewardScores: reward.source.kind is not bt-model');
  // One stream for the whole fit (init seed, then minibatch order); its single id keeps it apart from (stage, group).
  const rng = rngOf(ctx, 'rank', 0);
  const initSeed = rng.nextUint32();
  const runtime = await createRewardModelRuntime(ctx, task);
  try {
    const previous = ctx.iteration > 1 ? await ctx.store.find(keyOf(ctx, 'rank', NEURAL_MODEL, ctx.iteration - 1)) : undefined;
    const start: TrainState = previous
      ? decodeCheckpoint(await ctx.store.get(previous), previous.uri).state
      : { weights: initRewardModel(runtime.config, initSeed), m: new Map(), v: new Map(), step: 0 };
    const fit = await fitNeuralBT(runtime, start, prefs, { steps: source.steps, lr: source.lr, batchSize: NEURAL_BATCH, rng, checkAborted: () => checkAborted(ctx) });
    const extra = { preferences: String(prefs.length), loss: String(fit.loss), accuracy: String(fit.accuracy), warmStart: previous ? previous.sha256 : 'init' };
    await ctx.store.put(keyOf(ctx, 'rank', NEURAL_MODEL), encodeCheckpoint({ config: runtime.config, state: fit.state }, extra), MEDIA_TYPES.safetensors);
    return await runtime.score(fit.state.weights, flat.map((s) => s.prompt), flat.map((s) => s.response));
  } finally {
    await runtime.dispose();
  }
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
  if (source.kind === 'onnx' && await isRewardModelDir(ctx.store.root, source.model)) {
    // A reward model directory reads the rendered texts through its own tokenizer and chat template.
    const model = await loadOnnxRewardModelDir(ctx.store.root, source.model, { threads: ctx.spec.execution.threads });
    onnxScores = await model.score(groups.flat().map((s) => ({ prompt: task.render(s.prompt), response: task.render(s.response) })));
  } else if (source.kind === 'onnx') {
    // Without a tokenizer the model reads the task's own token ids; with one, the task's text re-encoded.
    const retokenizer = source.tokenizer ? await retokenizerFor(ctx.store.root, source.tokenizer, (ids) => task.render(ids)) : undefined;
    const model = await loadOnnxRewardModel(ctx.store.root, source.model, { threads: ctx.spec.execution.threads, padId: retokenizer?.padId });
    const flat = groups.flat();
    const encode = retokenizer ? (ids: number[]) => retokenizer.encode(ids) : (ids: number[]) => ids;
    onnxScores = await model.score(flat.map((s) => encode(s.prompt)), flat.map((s) => encode(s.response)));
  }
  let remoteScores: Float64Array | undefined;
  if (source.kind === 'activity') {
    const flat = groups.flat();
    const rows = flat.map((s) => ({ id: `${s.promptIndex}:${s.sampler}:${s.index}`, prompt: task.render(s.prompt), response: task.render(s.response) }));
    const rctx = { store: ctx.store, campaign: ctx.campaign, iteration: ctx.iteration, step: 'rank', caller: ctx.rewardActivity };
    remoteScores = await activityRewards(rctx, rows, source);
  }
  const neural = source.kind === 'bt-model' && source.model === 'neural';
  const rewardModel = source.kind === 'bt-model' && !neural ? await fitRewardModel(ctx, task) : undefined;
  const neuralScores = neural ? await neuralRewardScores(ctx, task, groups.flat()) : undefined;

  let at = 0;
  groups.forEach((group, g) => {
    const rater = group.map((s) => task.raterReward(s.prompt, s.response));
    let rewards: number[];
    switch (source.kind) {
      case 'gold': rewards = rater; break;
      case 'bt-oracle': rewards = perceivedPerResponse(group, rater, source.temperature, rngOf(ctx, 'rank', stage, g)); break;
      case 'bt-model':
        if (neuralScores) rewards = group.map((_, i) => neuralScores[at + i]);
        else if (rewardModel) rewards = group.map((s) => linearReward(rewardModel, task.features(s.prompt, s.response)));
        else rewards = perceivedPerResponse(group, rater, source.oracleTemperature, rngOf(ctx, 'rank', stage, g));
        break;
      case 'onnx': rewards = group.map((_, i) => onnxScores![at + i]); break;
      case 'activity': rewards = group.map((_, i) => remoteScores![at + i]); break;
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
