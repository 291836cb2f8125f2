/**
 * update: DPO-family training of the policy on the plan's pairs against the reference.
 * Optimizer steps: `epochs` passes over the pairs, each in a seeded order, in batches of
 * batchSize * gradientAccumulation pairs, run as micro-batches of batchSize pairs whose gradients add up before
 * one clipped AdamW step (engine/model/accumulate.ts), so memory grows with batchSize only. The learning rate follows
 * update.schedule with warm-up.
 * Every update.checkpointEvery steps the whole train state (weights + AdamW moments + step) and the log so far
 * are saved and reported through ctx.progress({step, checkpoint, log}); an attempt started with that cursor in
 * ctx.resumeFrom continues from there and ends with bit-identical weights, because batch order and learning rate
 * are functions of the step number only.
 */
import type { ArtifactRef } from '../../schemas/artifacts';
import type { TrainLog } from '../../schemas/results';
import type { NamedTensors, PolicyRuntime, PreferenceStepInput, PreferenceStepMetrics, TrainState } from '../model/api';
import { permutation } from '../preference/random';
import type { Pair } from '../preference/types';
import {
  batches, checkAborted, findOutput, keyOf, loadWeights, putJson, putWeights, readRows, resolvedModelConfig, rngOf, taskOf, withPolicyRuntime,
} from './common';
import { getCheckpoint, putCheckpoint, zerosLike } from './engine-parts';
import { learningRate } from './lr-schedule';
import { stepPlan } from './plan-of';
import { StepsPerCall } from './steps-per-call';
import type { StepContext, UpdateInput, UpdateOutput } from './types';

export interface UpdateCursor { iteration: number; step: number; checkpoint: ArtifactRef; log: ArtifactRef }

type LogRow = PreferenceStepMetrics & { step: number; epoch: number; lr: number };

/** A cursor this update wrote (same iteration); anything else in resumeFrom belongs to another step. */
function isCursor(x: unknown, iteration: number): x is UpdateCursor {
  const c = x as UpdateCursor;
  return !!c && typeof c === 'object' && c.iteration === iteration && Number.isInteger(c.step) && !!c.checkpoint?.sha256 && !!c.log?.sha256;
}

/** Batch b of epoch e: a slice of that epoch's seeded permutation. */
function batchIndices(ctx: StepContext, stage: number, n: number, perBatch: number, epoch: number, b: number): number[] {
  return permutation(n, rngOf(ctx, 'update', stage, epoch)).slice(b * perBatch, (b + 1) * perBatch);
}

function meanLog(rows: LogRow[]): TrainLog {
  const out: TrainLog = {};
  if (rows.length === 0) return out;
  for (const k of Object.keys(rows[0]) as Array<keyof LogRow>) {
    if (k === 'step' || k === 'epoch' || k === 'lr') continue;
    out[k] = rows.reduce((a, r) => a + r[k], 0) / rows.length;
  }
  const last = rows[rows.length - 1];
  out.step = last.step + 1;
  out.epoch = last.epoch;
  out.lr = last.lr;
  return out;
}

/**
 * The reference policy's sequence log-probs of every pair's chosen and rejected response. `handOver`: nothing else
 * reads the reference's arrays (loaded for this alone), so a compute thread takes them rather than a copy.
 */
async function referenceLogprobs(runtime: PolicyRuntime, reference: NamedTensors, pairs: Pair[], handOver: boolean): Promise<{ refChosen: Float64Array; refRejected: Float64Array }> {
  const callOptions = { consume: handOver };
  const refChosen = new Float64Array(pairs.length), refRejected = new Float64Array(pairs.length);
  let at = 0;
  for (const chunk of batches(pairs, 256)) {
    const prompts = chunk.map((p) => p.prompt);
    refChosen.set(await runtime.sequenceLogprobs(reference, prompts, chunk.map((p) => p.chosen), callOptions), at);
    refRejected.set(await runtime.sequenceLogprobs(reference, prompts, chunk.map((p) => p.rejected), callOptions), at);
    at += chunk.length;
  }
  return { refChosen, refRejected };
}

export async function update(ctx: StepContext, input: UpdateInput): Promise<UpdateOutput> {
  const outputKey = keyOf(ctx, 'update', 'output.json');
  const done = await findOutput<UpdateOutput>(ctx.store, outputKey);
  if (done) return done;
  const { spec, store } = ctx;
  const u = spec.update;
  const plan = stepPlan(spec, ctx.iteration);
  const config = resolvedModelConfig(spec, await taskOf(ctx));
  const pairs = await readRows<Pair>(store, input.pairs);
  const n = pairs.length;
  const perBatch = u.batchSize * u.gradientAccumulation;
  const stepsPerEpoch = Math.ceil(n / perBatch);
  const total = u.epochs * stepsPerEpoch;

  let state: TrainState;
  let rows: LogRow[] = [];
  if (isCursor(ctx.resumeFrom, ctx.iteration)) {
    const cursor = ctx.resumeFrom;
    const loaded = await getCheckpoint(store, cursor.checkpoint);
    if (loaded.state.step !== cursor.step) throw new Error(`update resume: checkpoint ${cursor.checkpoint.uri} holds step ${loaded.state.step}, cursor says ${cursor.step}`);
    state = loaded.state;
    rows = await readRows<LogRow>(store, [cursor.log]);
  } else {
    const weights = await loadWeights(store, input.policy);
    state = { weights, m: zerosLike(weights), v: zerosLike(weights), step: 0 };
  }

  if (total > 0) await withPolicyRuntime(ctx, async (runtime) => {
    // The reference's log-probs are all it is needed for: computed first, in a function of their own, so its weights
    // are not held through training. (When the reference is the starting policy they are the state's own weights,
    // which the training calls below take over: those are not handed over; a reference loaded here is.)
    const ownReference = !(input.reference.sha256 === input.policy.sha256 && state.step === 0);
    const { refChosen, refRejected } = await referenceLogprobs(runtime, ownReference ? await loadWeights(store, input.reference) : state.weights, pairs, ownReference);
    const hyper = { loss: u.loss, beta: plan.beta, labelSmoothing: u.labelSmoothing, weightDecay: u.weightDecay, maxGradNorm: u.maxGradNorm, microBatch: u.batchSize };
    // Several optimizer steps per runtime call (steps-per-call.ts), never past the next training checkpoint.
    const perCall = new StepsPerCall();
    while (state.step < total) {
      checkAborted(ctx);
      const first = state.step;
      const last = Math.min(total, (Math.floor(first / u.checkpointEvery) + 1) * u.checkpointEvery, first + perCall.next);
      const steps: PreferenceStepInput[] = [];
      const at: Array<{ step: number; epoch: number; lr: number }> = [];
      for (let s = first; s < last; s++) {
        const epoch = Math.floor(s / stepsPerEpoch);
        const idx = batchIndices(ctx, plan.stage, n, perBatch, epoch, s % stepsPerEpoch);
        const lr = learningRate(u.lr, u.schedule, u.warmup, s, total);
        steps.push({
          batch: {
            prompts: idx.map((i) => pairs[i].prompt), chosen: idx.map((i) => pairs[i].chosen), rejected: idx.map((i) => pairs[i].rejected),
            refChosen: idx.map((i) => refChosen[i]), refRejected: idx.map((i) => refRejected[i]),
          },
          hyper: { ...hyper, lr },
        });
        at.push({ step: s, epoch, lr });
      }
      // The state is handed over: the steps update it in place (no copy of it per call); the loop only ever reads the
      // state a call returns, and a checkpoint is written before the next call starts.
      const result = await perCall.time(steps.length, () => runtime.preferenceSteps(state, steps, { consume: true }));
      state = result.state;
      result.metrics.forEach((metrics, i) => rows.push({ ...metrics, ...at[i] }));
      if (state.step % u.checkpointEvery === 0 && state.step < total) {
        const checkpoint = await putCheckpoint(store, keyOf(ctx, 'update', `checkpoints/step-${state.step}.safetensors`), { config, state });
        const log = await store.putJsonl(keyOf(ctx, 'update', `checkpoints/log-${state.step}.jsonl`), rows);
        const cursor: UpdateCursor = { iteration: ctx.iteration, step: state.step, checkpoint, log };
        ctx.progress?.(cursor);
      }
    }
  });
  const checkpoint = await putWeights(store, keyOf(ctx, 'update', 'policy.safetensors'), config, state.weights, {
    role: 'policy', iteration: String(ctx.iteration), steps: String(total),
  });
  const log = await store.putJsonl(keyOf(ctx, 'update', 'train-log.jsonl'), rows);
  const lastEpoch = rows.length ? rows[rows.length - 1].epoch : 0;
  const out: UpdateOutput = { checkpoint, train: meanLog(rows.filter((r) => r.epoch === lastEpoch)), log };
  await putJson(store, outputKey, out);
  return out;
}
