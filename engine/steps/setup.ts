/**
 * setup (iteration 0): the task's prompt pools, pi0 by SFT on the task's base distribution (or, for a Hugging Face
 * policy, the model itself: hf-policy.ts), and D_off when the plan has one. pi0's evaluation is not here: callers run the evaluate step for iteration 0 (see SetupOutput).
 * pi0 is cached across campaigns under `task-cache`, keyed by everything it depends on (task, seed, model, SFT
 * settings, model family), so campaigns on the same task share it.
 */
import { createHash } from 'node:crypto';
import type { ArtifactRef } from '../../schemas/artifacts';
import type { SftBatch, TrainState } from '../model/api';
import { setupPlan } from '../plans/plan';
import { findOutput, keyOf, putJson, putWeights, withPolicyRuntime, resolvedModelConfig, taskOf, checkAborted } from './common';
import { initialPolicyWeights, MODEL_FAMILY, rngFor, streamId } from './engine-parts';
import { checkFeasible } from './feasibility';
import { StepsPerCall } from './steps-per-call';
import { filter } from './filter';
import { importHfPolicy } from './hf-policy';
import { rank } from './rank';
import { sampleShard } from './sample-shard';
import type { SetupOutput, StepContext } from './types';
import type { FilesTask } from '../tasks/files';
import { tokenizePreferenceRows, type TokenizedPairs } from '../data/pair-tokens';
import { readPreferenceFile } from '../data/preference-pairs';
import { requireUserFile } from '../preference/user-file';
import { policyModelDir } from '../tasks';

export const TASK_CACHE_CAMPAIGN = 'task-cache';

async function trainInitialPolicy(ctx: StepContext): Promise<ArtifactRef> {
  const { spec } = ctx;
  const task = await taskOf(ctx);
  const config = resolvedModelConfig(spec, task);
  // A files task has no base distribution: its pi0 is the given model (importHfPolicy), never trained here.
  if (spec.task.name === 'files') throw new Error('internal: a files task has no SFT pi0');
  const sft = spec.task.sft;
  const identity = JSON.stringify({ task: spec.task, seed: spec.seed, config, family: MODEL_FAMILY, threads: spec.execution.threads });
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 24);
  const key = { campaign: TASK_CACHE_CAMPAIGN, iteration: 0, step: 'setup', name: `pi0-${task.name}-${hash}.safetensors` };
  const cached = await ctx.store.find(key);
  if (cached) return cached;
  let state: TrainState = { weights: initialPolicyWeights(config, spec.seed), m: new Map(), v: new Map(), step: 0 };
  let loss = NaN;
  const hyper = { lr: sft.lr, weightDecay: 0, maxGradNorm: 1 };
  const batchOf = (s: number): SftBatch => {
    const batch = task.baseSamples(rngFor(spec.seed, 0, streamId('sft'), s), sft.batchSize);
    return { prompts: batch.map((b) => b.prompt), responses: batch.map((b) => b.response) };
  };
  await withPolicyRuntime(ctx, async (runtime) => {
    // Several steps per runtime call (steps-per-call.ts); cancellation is seen between calls.
    const perCall = new StepsPerCall();
    for (let s = 0; s < sft.steps;) {
      checkAborted(ctx);
      const chunk: SftBatch[] = [];
      for (let i = s; i < Math.min(s + perCall.next, sft.steps); i++) chunk.push(batchOf(i));
      s += chunk.length;
      // The state is handed over (nothing else holds it): the steps update it in place, no copy per call.
      ({ state, loss } = await perCall.time(chunk.length, () => runtime.sftSteps(state, chunk, hyper, { consume: true })));
    }
  });
  return putWeights(ctx.store, key, config, state.weights, { role: 'pi0', sftSteps: String(sft.steps), sftFinalLoss: String(loss) });
}

/** offline.pairs read (JSONL or Parquet) from under the store root and tokenized by the Hugging Face policy. */
async function offlineDataset(ctx: StepContext): Promise<TokenizedPairs> {
  const { spec } = ctx;
  const file = await requireUserFile(ctx.store.root, 'offline.pairs', spec.offline.pairs!, 'a JSONL or Parquet preference dataset (prompt, chosen, rejected)');
  const rows = await readPreferenceFile(file, 'offline.pairs');
  const hf = policyModelDir(spec, ctx.store.root);
  const useTemplate = spec.policy.source === 'hf' && spec.policy.chatTemplate;
  return tokenizePreferenceRows(rows, { tokenizer: hf.tokenizer, template: useTemplate ? hf.template : undefined, modelDir: hf.model.dir, context: hf.model.config.context });
}

export async function setup(ctx0: StepContext): Promise<SetupOutput> {
  const ctx: StepContext = { ...ctx0, iteration: 0 };
  // An impossible spec fails here, in setup's first attempt, before any artifact is written or pi0 is trained.
  await checkFeasible(ctx.spec, ctx.store.root);
  const outputKey = keyOf(ctx, 'setup', 'output.json');
  const done = await findOutput<SetupOutput>(ctx.store, outputKey);
  if (done) return done;
  const task = await taskOf(ctx);
  // A files task's rows also keep where each prompt came from and the prompt as written.
  const promptRows = (prompts: number[][], split: 'train' | 'eval') => prompts.map((prompt, index) => ({
    index, prompt, text: task.render(prompt), ...(task.promptSource ? { source: task.promptSource(split, index) } : {}),
  }));
  const trainPrompts = await ctx.store.putJsonl(keyOf(ctx, 'setup', 'train-prompts.jsonl'), promptRows(task.trainPrompts, 'train'));
  const evalPrompts = await ctx.store.putJsonl(keyOf(ctx, 'setup', 'eval-prompts.jsonl'), promptRows(task.evalPrompts, 'eval'));
  const pi0 = ctx.spec.policy.source === 'hf' ? await importHfPolicy(ctx) : await trainInitialPolicy(ctx);
  const out: SetupOutput = { pi0, trainPrompts, evalPrompts };
  if (task.name === 'files') {
    const files = task as FilesTask;
    out.skippedPrompts = { train: files.train.skipped, eval: files.eval.skipped };
  }
  if (ctx.spec.offline.pairs !== undefined) {
    // D_off from the user's preference dataset, tokenized for the policy as TRL's DPO trainer does.
    const dataset = await offlineDataset(ctx);
    out.offlinePairs = await ctx.store.putJsonl(keyOf(ctx, 'setup', 'offline-pairs.jsonl'), dataset.pairs);
    out.skippedPairs = dataset.skipped;
    // The dataset's labels were not spent by this campaign.
    out.offlineLabels = 0;
  } else if (setupPlan(ctx.spec).offlinePrompts > 0) {
    // D_off: the same sample -> rank -> filter steps, at iteration 0, on pi0.
    const shards = ctx.spec.sampling.shards;
    const samples = [];
    for (let shard = 0; shard < shards; shard++) samples.push((await sampleShard(ctx, { policy: pi0, prompts: trainPrompts, shard, shards })).samples);
    const ranked = await rank(ctx, { samples });
    const offline = await filter(ctx, { scored: ranked.scored });
    out.offlinePairs = offline.pairs;
    out.offlineLabels = offline.labels;
  }
  await putJson(ctx.store, outputKey, out);
  return out;
}
