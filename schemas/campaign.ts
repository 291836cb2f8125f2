import { z } from 'zod';

/**
 * The campaign spec: the one document a user writes. Every layer validates against it.
 * Defaults are sized so that the built-in campaign runs in minutes on a laptop CPU.
 * Objects are strict: an unknown field is an error, never silently ignored.
 */

export const ALGORITHMS = ['online-iterative-dpo', 'hybrid', 'offline-multistep-rs', 'offline-dpo', 'rso'] as const;
export const LOSSES = ['sigmoid', 'robust', 'ipo', 'hinge', 'sigmoid_norm'] as const;
export const PAIR_STRATEGIES = ['max_min', 'max_random', 'max_max', 'random', 'all_pairs'] as const;
export const PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;

const positiveInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const probability = z.number().min(0).max(1);
/** A file path as written in a spec; resolution and confinement happen where it is read. */
const filePath = z.string().min(1, 'must be a non-empty file path');

export const ModelConfigSchema = z.strictObject({
  /** Vocabulary size; 0 means "take it from the task's tokenizer". */
  vocab: nonNegInt.default(0),
  dModel: positiveInt.default(64),
  layers: positiveInt.default(2),
  heads: positiveInt.default(4),
  context: positiveInt.default(32),
  tiedHead: z.boolean().default(true),
}).refine((m) => m.dModel % m.heads === 0, { message: 'dModel must be divisible by heads', path: ['dModel'] });
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export const PolicySchema = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('builtin'), model: ModelConfigSchema.prefault({}) }),
  z.strictObject({
    source: z.literal('onnx'),
    /** Optimum-exported decoder with KV cache (input_ids, attention_mask, position_ids, past_key_values.N.*). */
    decoder: filePath,
    tokenizer: filePath,
  }),
]);

export const SftSchema = z.strictObject({
  steps: positiveInt.default(300),
  lr: z.number().positive().default(3e-3),
  batchSize: positiveInt.default(32),
});

export const TaskSchema = z.discriminatedUnion('name', [
  z.strictObject({
    /** Enumerable bandit: every response of every prompt can be listed, so J(pi*) is exact. */
    name: z.literal('bandit'),
    vocab: z.number().int().min(2).max(16).default(4),
    promptLength: positiveInt.max(8).default(3),
    responseLength: positiveInt.max(8).default(4),
    /** Size of the prompt pool that iterations slice from (training prompts). */
    trainPrompts: positiveInt.default(256),
    /** Held-out prompts for evaluation. */
    evalPrompts: positiveInt.default(32),
    /** Dimension of the feature map phi(x, a) in which the gold reward is linear. */
    featureDim: positiveInt.default(8),
    rewardScale: z.number().positive().default(1),
    sft: SftSchema.prefault({}),
  }),
  z.strictObject({
    /** Short human-readable prompts and responses with a gold reward that can be gamed by length. */
    name: z.literal('text'),
    trainPrompts: positiveInt.default(256),
    evalPrompts: positiveInt.default(32),
    maxResponseWords: positiveInt.default(8),
    sft: SftSchema.prefault({}),
  }),
  z.strictObject({
    /** User data: JSONL files with one {"prompt": "..."} per line. */
    name: z.literal('files'),
    prompts: filePath,
    evalPrompts: filePath,
  }),
]);

export const RewardSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('gold') }),
  z.strictObject({
    /** Simulated human: P(a1 > a2) = sigmoid((r(a1) - r(a2)) / temperature). */
    kind: z.literal('bt-oracle'),
    temperature: z.number().positive().default(1),
  }),
  z.strictObject({
    /** Optimum-exported sequence-classification reward model (input_ids, attention_mask -> logits). */
    kind: z.literal('onnx'),
    model: filePath,
    tokenizer: filePath.optional(),
  }),
  z.strictObject({
    /** The paper's r_MLE: a Bradley-Terry model re-fitted each iteration on all preferences collected so far. */
    kind: z.literal('bt-model'),
    oracleTemperature: z.number().positive().default(1),
    steps: positiveInt.default(200),
    lr: z.number().positive().default(1e-2),
  }),
]);

const RewardWithPenalty = z.strictObject({
  source: RewardSchema.prefault({ kind: 'gold' }),
  /** r - lambda * |a| (tokens). */
  lengthPenalty: z.number().nonnegative().default(0),
});

export const SamplingSchema = z.strictObject({
  promptsPerIteration: positiveInt.default(64),
  /** Responses per prompt. */
  n: z.number().int().min(2).default(8),
  /** Temperatures cycled over the n responses (RLHF Workflow: half at 1.0, half at 0.7). */
  temperatures: z.array(z.number().positive()).min(1).default([1.0, 0.7]),
  topK: nonNegInt.default(0),
  topP: z.number().gt(0).max(1).default(1),
  maxNewTokens: positiveInt.default(16),
  shards: positiveInt.default(2),
});

export const PairsSchema = z.strictObject({
  strategy: z.enum(PAIR_STRATEGIES).default('max_min'),
  dropTies: z.boolean().default(true),
  minMargin: z.number().nonnegative().default(0),
});

export const RejectionSamplingSchema = z.strictObject({
  candidates: z.number().int().min(2).default(8),
  accepted: positiveInt.default(2),
  /** Annealed eta_1 > ... > eta_N = eta; a single value is single-step RSO. */
  etaSchedule: z.array(z.number().positive()).min(1).default([1.0, 0.3, 0.1]),
}).refine((r) => r.accepted <= r.candidates, { message: 'accepted must be <= candidates', path: ['accepted'] });

export const UpdateSchema = z.strictObject({
  loss: z.enum(LOSSES).default('sigmoid'),
  beta: z.number().positive().default(0.1),
  labelSmoothing: z.number().min(0).lt(0.5).default(0),
  lr: z.number().positive().default(1e-3),
  schedule: z.enum(['constant', 'cosine', 'linear']).default('cosine'),
  /** Warm-up as a fraction of the iteration's optimizer steps. */
  warmup: probability.default(0.03),
  epochs: positiveInt.default(2),
  batchSize: positiveInt.default(16),
  gradientAccumulation: positiveInt.default(1),
  weightDecay: z.number().nonnegative().default(0),
  maxGradNorm: z.number().positive().default(1),
  /** ICML paper: restart from pi0 ('initial'); RLHF Workflow: warm-start ('previous'). */
  init: z.enum(['previous', 'initial']).default('previous'),
  /** ICML paper: all data so far ('accumulate'); RLHF Workflow: the new iteration only ('fresh'). */
  data: z.enum(['fresh', 'accumulate']).default('fresh'),
  /** Save a resumable training checkpoint every k optimizer steps. */
  checkpointEvery: positiveInt.default(20),
});

export const EvaluationSchema = z.strictObject({
  /** Held-out prompts used per evaluation (taken from the task's eval split). */
  prompts: positiveInt.default(32),
  samplesPerPrompt: positiveInt.default(4),
  /** Compute exact reward, KL, J and J(pi*) when the task is enumerable. */
  exact: z.boolean().default(true),
});

export const ExecutionSchema = z.strictObject({
  provider: z.enum(PROVIDERS).default('cpu'),
  /** 'cpu' falls back to the CPU provider when the requested one cannot load; 'none' fails instead. */
  fallback: z.enum(['none', 'cpu']).default('none'),
  /** ORT intra-op threads; fixed so that results are bit-identical run to run. */
  threads: positiveInt.default(1),
  taskQueues: z.strictObject({
    inference: z.string().min(1).default('prefloop-inference'),
    training: z.string().min(1).default('prefloop-training'),
    cpu: z.string().min(1).default('prefloop-cpu'),
  }).prefault({}),
});

export const BudgetSchema = z.strictObject({
  /** Preference labels per iteration; algorithms compared at equal label cost. 0 = unlimited. */
  labelsPerIteration: nonNegInt.default(0),
});

export const OfflineDataSchema = z.strictObject({
  /** Prompts whose pi0 samples form D_off (hybrid, offline-dpo). */
  prompts: nonNegInt.default(0),
  /** Or a JSONL file of {prompt, chosen, rejected} pairs. */
  pairs: filePath.optional(),
});

export const CampaignSpecSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1-63 chars of a-z, 0-9, ".", "_", "-", starting with a letter or digit').default('campaign'),
  algorithm: z.enum(ALGORITHMS).default('online-iterative-dpo'),
  iterations: positiveInt.max(1000).default(3),
  seed: nonNegInt.default(0),
  policy: PolicySchema.prefault({ source: 'builtin' }),
  reference: z.enum(['initial', 'previous']).default('initial'),
  task: TaskSchema.prefault({ name: 'bandit' }),
  reward: RewardWithPenalty.prefault({}),
  sampling: SamplingSchema.prefault({}),
  pairs: PairsSchema.prefault({}),
  rejectionSampling: RejectionSamplingSchema.prefault({}),
  update: UpdateSchema.prefault({}),
  evaluation: EvaluationSchema.prefault({}),
  execution: ExecutionSchema.prefault({}),
  budget: BudgetSchema.prefault({}),
  offline: OfflineDataSchema.prefault({}),
});

export type CampaignSpec = z.infer<typeof CampaignSpecSchema>;
export type CampaignSpecInput = z.input<typeof CampaignSpecSchema>;
export type Algorithm = (typeof ALGORITHMS)[number];
export type LossName = (typeof LOSSES)[number];
export type PairStrategy = (typeof PAIR_STRATEGIES)[number];
export type Provider = (typeof PROVIDERS)[number];
