/**
 * What a campaign spec will cost, from the spec alone (no task is built, no model allocated): the built-in policy's
 * parameters and the memory training it needs, the work of each step and the rows and bytes it writes. These are
 * estimates made to refuse what cannot run, so they count only what certainly happens (a lower bound on memory and
 * work); a spec refused on them would fail, or run for longer than a step may, on this machine.
 */
import type { CampaignSpec } from '../../schemas/campaign';
import { iterationPlan } from '../plans/plan';
import { TOKENIZER } from '../tasks/text';

/** Model sizes, as the built-in GPT (engine/model/gpt.ts) lays out its parameters. */
export interface GptShape { vocab: number; dModel: number; layers: number; heads: number; context: number; tiedHead: boolean }

/**
 * Parameters of the built-in decoder with a language-model head: token and position embeddings, per block
 * 12 d^2 weights (attention 3d^2 + d^2, MLP 4d^2 + 4d^2) and 13 d biases and gains, the final LayerNorm, and the
 * untied head when there is one. Closed form, so a spec with a billion layers costs nothing to estimate.
 */
export function gptParameters(m: GptShape): number {
  const d = m.dModel;
  const block = 12 * d * d + 13 * d;
  return m.vocab * d + m.context * d + m.layers * block + 2 * d + (m.tiedHead ? 0 : m.vocab * d);
}

/** The largest single tensor the model needs, in elements: the MLP weight (4 d^2), an embedding, or the attention scores. */
export function largestTensorElements(m: GptShape, sequences: number): number {
  const d = m.dModel;
  return Math.max(4 * d * d, m.vocab * d, sequences * m.heads * m.context * m.context, sequences * m.context * 4 * d);
}

const FLOAT_BYTES = 4;
/** Weights, gradients, AdamW's two moments and the reference policy's weights: five float32 copies of the parameters. */
const TRAINING_COPIES = 5;

export interface TaskShape { vocab: number; promptTokens: number; responseTokens: number; promptPool: number }

/** The built-in task's sizes, read from the spec (the same numbers the task would have, without building its prompts). */
export function taskShape(spec: CampaignSpec): TaskShape {
  const t = spec.task;
  switch (t.name) {
    case 'bandit': return { vocab: t.vocab, promptTokens: t.promptLength, responseTokens: t.responseLength, promptPool: t.trainPrompts + t.evalPrompts };
    // Prompts are a handful of words ("describe the small dog"); answers end with EOS.
    case 'text': return { vocab: TOKENIZER.vocabSize, promptTokens: 4, responseTokens: t.maxResponseWords + 1, promptPool: t.trainPrompts + t.evalPrompts };
    default: return { vocab: 0, promptTokens: 1, responseTokens: spec.sampling.maxNewTokens, promptPool: 0 };
  }
}

export function policyShape(spec: CampaignSpec): GptShape | undefined {
  if (spec.policy.source !== 'builtin') return undefined;
  const m = spec.policy.model;
  return { ...m, vocab: m.vocab || taskShape(spec).vocab };
}

export interface MemoryEstimate {
  parameters: number;
  /** At least this many bytes are resident while the policy trains (SFT in set-up, and each update). */
  trainingBytes: number;
  /** Sequences in the largest training batch (an update's chosen and rejected, or an SFT batch). */
  batchSequences: number;
  largestTensorElements: number;
}

/**
 * Training memory, a lower bound: five float32 copies of the parameters, plus the activations one micro-batch keeps
 * for the backward pass (per block and token about 16 d values and the attention's heads x context scores, twice).
 */
export function trainingMemory(spec: CampaignSpec, m: GptShape): MemoryEstimate {
  const parameters = gptParameters(m);
  const sft = spec.task.name === 'files' ? 0 : spec.task.sft.batchSize;
  const batchSequences = Math.max(2 * spec.update.batchSize, sft);
  const perToken = m.layers * (16 * m.dModel + 2 * m.heads * m.context);
  const activations = batchSequences * m.context * perToken * FLOAT_BYTES;
  return { parameters, trainingBytes: TRAINING_COPIES * parameters * FLOAT_BYTES + activations, batchSequences, largestTensorElements: largestTensorElements(m, batchSequences) };
}

/** The steps whose duration is bounded (workflows/activity-options.ts gives each its start-to-close timeout). */
export type TimedStep = 'setup' | 'sampleShard' | 'rank' | 'update' | 'evaluate';
/** Seconds each step may run before Temporal times it out; a test checks these equal workflows/activity-options.ts. */
export const STEP_TIME_LIMIT_SECONDS: Record<TimedStep, number> = { setup: 2 * 3600, sampleShard: 2 * 3600, rank: 2 * 3600, update: 12 * 3600, evaluate: 2 * 3600 };

/**
 * Sustained float32 throughput assumed per ORT thread on CPU, and per GPU. Generous on purpose (small models run far
 * below it), so a step estimated over its time limit at this rate certainly cannot finish in it.
 */
export const ASSUMED_FLOPS = { cpuPerThread: 5e9, gpu: 5e12 } as const;

export interface IterationWork {
  /** Responses sampled per iteration (every sampler), and per sampling shard. */
  responses: number;
  responsesPerShard: number;
  /** Pairs the largest update trains on (all iterations' pairs with update.data 'accumulate'). */
  pairsPerUpdate: number;
  /** Floating-point operations of each timed step (forward 2 FLOP per parameter per token, training 6). */
  flops: Record<TimedStep, number>;
}

export function iterationWork(spec: CampaignSpec, m: GptShape): IterationWork {
  const P = gptParameters(m);
  const shape = taskShape(spec);
  const plan = iterationPlan(spec, 1);
  const perPrompt = plan.samplers.reduce((s, x) => s + x.n, 0);
  const responses = plan.prompts.count * perPrompt;
  const responsesPerShard = Math.ceil(responses / spec.sampling.shards);
  const kept = plan.filter.kind === 'rejection' ? plan.filter.accepted : perPrompt;
  const pairsPerPrompt = plan.filter.strategy === 'all_pairs' ? (kept * (kept - 1)) / 2 : 1;
  const pairsPerIteration = plan.prompts.count * pairsPerPrompt;
  const pairsPerUpdate = pairsPerIteration * (plan.update.data === 'accumulate' ? spec.iterations : 1);
  const seqTokens = shape.promptTokens + shape.responseTokens;
  const sft = spec.task.name === 'files' ? { steps: 0, batchSize: 0 } : spec.task.sft;
  const evalResponses = spec.evaluation.prompts * spec.evaluation.samplesPerPrompt;
  return {
    responses,
    responsesPerShard,
    pairsPerUpdate,
    flops: {
      setup: 6 * P * sft.steps * sft.batchSize * seqTokens,
      sampleShard: 2 * P * responsesPerShard * seqTokens,
      // Scoring each response with the policy's reward head at most (the gold reward costs nothing).
      rank: spec.reward.source.kind === 'bt-model' && spec.reward.source.model === 'neural' ? 2 * P * responses * seqTokens : 0,
      // Policy forward + backward (6) and the reference's forward (2) over chosen and rejected, every epoch.
      update: 8 * P * 2 * pairsPerUpdate * seqTokens * spec.update.epochs,
      // Sampling from the policy, and scoring the samples under pi and pi0 for KL.
      evaluate: 2 * P * evalResponses * seqTokens * 3,
    },
  };
}

/** Seconds at the assumed throughput of the spec's provider and threads. */
export function secondsAt(spec: CampaignSpec, flops: number): number {
  const rate = spec.execution.provider === 'cpu' ? ASSUMED_FLOPS.cpuPerThread * spec.execution.threads : ASSUMED_FLOPS.gpu;
  return flops / rate;
}

/** Bytes of one row held as a JS object (measured: ~330 B for a scored sample of 7 tokens), and written as JSON. */
export function rowHeapBytes(tokens: number): number {
  return 280 + 16 * tokens;
}
export function rowDiskBytes(tokens: number): number {
  return 120 + 3 * tokens;
}

export interface StorageEstimate {
  /** Per iteration: samples (written per chunk and joined), scored samples, pairs, the checkpoint. */
  perIterationBytes: number;
  campaignBytes: number;
}

export function storageEstimate(spec: CampaignSpec, m: GptShape): StorageEstimate {
  const work = iterationWork(spec, m);
  const shape = taskShape(spec);
  const seqTokens = shape.promptTokens + shape.responseTokens;
  const rows = work.responses * rowDiskBytes(seqTokens) * 2 + work.responses * rowDiskBytes(seqTokens + 6);
  const pairs = (work.pairsPerUpdate / (spec.update.data === 'accumulate' ? spec.iterations : 1)) * rowDiskBytes(shape.promptTokens + 2 * shape.responseTokens + 12);
  const perIterationBytes = rows + pairs + gptParameters(m) * FLOAT_BYTES;
  return { perIterationBytes, campaignBytes: perIterationBytes * spec.iterations };
}
