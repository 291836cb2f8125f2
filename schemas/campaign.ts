import { z } from 'zod';
import { SELECT_BY } from './selection';
import { CAMPAIGN_ID_PATTERN, CAMPAIGN_ID_RULE } from './campaign-id';

/**
 * The campaign spec: the one document a user writes. Every layer validates against it.
 * Defaults are sized so that the built-in campaign runs in minutes on a laptop CPU.
 * Objects are strict: an unknown field is an error, never silently ignored.
 * Every field carries a `.describe()` text: README's spec reference is generated from it
 * (`npm run spec:reference`), so the schema stays the single source of truth.
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
/** A Temporal duration as the SDK takes it: a number and a unit (ms, s, m, h, d). */
const duration = z.string().regex(/^[1-9][0-9]*(ms|s|m|h|d)$/, 'must be a duration like 30s, 10m or 2h');

export const ModelConfigSchema = z.strictObject({
  vocab: nonNegInt.default(0).describe('Vocabulary size; 0 takes it from the task\'s tokenizer.'),
  dModel: positiveInt.default(64).describe('Width of the residual stream; must be divisible by `heads`.'),
  layers: positiveInt.default(2).describe('Transformer blocks.'),
  heads: positiveInt.default(4).describe('Attention heads per block.'),
  context: positiveInt.default(32).describe('Maximum sequence length (prompt + response tokens).'),
  tiedHead: z.boolean().default(true).describe('Share the token embedding with the output head.'),
}).refine((m) => m.dModel % m.heads === 0, { message: 'dModel must be divisible by heads', path: ['dModel'] });
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export const PolicySchema = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('builtin').describe('The built-in GPT-style decoder, trained from scratch by SFT on the task.'),
    model: ModelConfigSchema.prefault({}).describe('Size of the built-in decoder.'),
  }),
  z.strictObject({
    source: z.literal('hf').describe('A Hugging Face decoder (model_type gpt2, llama, qwen2 or mistral), sampled, scored and trained as it is: pi0 is the model itself (no SFT).'),
    path: filePath.describe('The model directory, under the artifact store\'s root and written relative to it (models/smollm2 for <store root>/models/smollm2): config.json, model.safetensors or shards with model.safetensors.index.json (F32, F16 or BF16), tokenizer.json, tokenizer_config.json, and optionally generation_config.json (stop tokens) and a chat template. A path leaving the root is refused.'),
    chatTemplate: z.boolean().default(true).describe('Give each task prompt to the model as a user message through its chat template with the generation prompt (when it has a template); false feeds the plain text after the BOS token.'),
  }),
]);

export const SftSchema = z.strictObject({
  steps: positiveInt.default(300).describe('SFT optimizer steps that produce pi0.'),
  lr: z.number().positive().default(3e-3).describe('SFT learning rate.'),
  batchSize: positiveInt.default(32).describe('SFT batch size.'),
});

export const TaskSchema = z.discriminatedUnion('name', [
  z.strictObject({
    name: z.literal('bandit').describe('Enumerable bandit: every response of every prompt can be listed, so J(pi*) is exact.'),
    vocab: z.number().int().min(2).max(16).default(4).describe('Tokens in the bandit alphabet.'),
    promptLength: positiveInt.max(8).default(3).describe('Tokens per prompt.'),
    responseLength: positiveInt.max(8).default(4).describe('Tokens per response (vocab^responseLength responses per prompt).'),
    trainPrompts: positiveInt.default(256).describe('Size of the prompt pool that iterations slice from (training prompts).'),
    evalPrompts: positiveInt.default(32).describe('Held-out prompts for evaluation.'),
    featureDim: positiveInt.default(8).describe('Dimension of the feature map phi(x, a) in which the gold reward is linear.'),
    rewardScale: z.number().positive().default(1).describe('Multiplier on the gold reward.'),
    sft: SftSchema.prefault({}).describe('How pi0 is trained.'),
  }),
  z.strictObject({
    name: z.literal('text').describe('Short human-readable prompts and responses with a gold reward that can be gamed by length.'),
    trainPrompts: positiveInt.default(256).describe('Size of the training prompt pool.'),
    evalPrompts: positiveInt.default(32).describe('Held-out prompts for evaluation.'),
    maxResponseWords: positiveInt.default(8).describe('Longest response, in words.'),
    sft: SftSchema.prefault({}).describe('How pi0 is trained.'),
  }),
  z.strictObject({
    name: z.literal('files').describe('Your own prompts, in TRL\'s prompt-only format: JSONL or Parquet rows {"prompt": "..."} or {"prompt": [{"role": "user", "content": "..."}]} (conversations go through the policy\'s chat template). Needs policy.source hf (pi0 is that model) and reward.source onnx or activity (there is no gold reward).'),
    prompts: filePath.describe('Training prompts (.jsonl or .parquet), under the store root; a prompt longer than the context minus sampling.maxNewTokens is skipped and counted.'),
    evalPrompts: filePath.describe('Held-out evaluation prompts (.jsonl or .parquet), under the store root.'),
  }),
]);

export const RewardSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('gold').describe('The task\'s gold reward r*, noiseless.') }),
  z.strictObject({
    kind: z.literal('bt-oracle').describe('Simulated human: P(a1 > a2) = sigmoid((r*(a1) - r*(a2)) / temperature).'),
    temperature: z.number().positive().default(1).describe('Noise of the Bradley-Terry oracle; larger is noisier.'),
  }),
  z.strictObject({
    kind: z.literal('onnx').describe('Optimum-exported sequence-classification reward model (input_ids, attention_mask -> logits).'),
    model: filePath.describe('The reward model\'s Optimum export directory (model.onnx, tokenizer.json, tokenizer_config.json, its chat template: it reads each prompt and response through its own tokenizer and chat template), or just its .onnx file; under the artifact store\'s root and written relative to it (inputs/rm for <store root>/inputs/rm); a path leaving the root is refused.'),
    tokenizer: filePath.optional().describe('With a bare .onnx model: its tokenizer.json, under the store root like model; defaults to the task\'s own token ids.'),
  }),
  z.strictObject({
    kind: z.literal('bt-model').describe('The paper\'s r_MLE: a Bradley-Terry model re-fitted each iteration on all preferences collected so far.'),
    oracleTemperature: z.number().positive().default(1).describe('Noise of the oracle that labels the preferences it is fitted on.'),
    model: z.enum(['linear', 'neural']).default('linear').describe('linear: Bradley-Terry linear in the task\'s feature map, fitted exactly by Newton\'s method. neural: the policy\'s GPT trunk with a scalar head, trained by AdamW on the tokens and warm-started from the previous iteration\'s reward model.'),
    steps: positiveInt.default(200).describe('Per re-fit: Newton iterations (linear) or AdamW minibatch steps (neural).'),
    lr: z.number().positive().default(1e-2).describe('AdamW learning rate of the neural re-fit (neural only; the linear fit has none).'),
  }),
  z.strictObject({
    kind: z.literal('activity').describe('Scores from a Temporal activity that any worker serves on `taskQueue` (a reward server, an LLM judge, a verifier; any language). Contract: schemas/reward-activity.ts.'),
    taskQueue: z.string().min(1).describe('Task queue the reward worker polls.'),
    activity: z.string().min(1).default('reward').describe('Activity type the worker registers.'),
    scheduleToStartTimeout: duration.default('10m').describe('How long a request waits for a worker on the queue before the campaign fails saying so.'),
    startToCloseTimeout: duration.default('10m').describe('How long one request (up to 4096 rows) may run on the worker.'),
  }),
]);

const RewardWithPenalty = z.strictObject({
  source: RewardSchema.prefault({ kind: 'gold' }).describe('Where rewards and preference labels come from.'),
  lengthPenalty: z.number().nonnegative().default(0).describe('lambda in r - lambda * |a| (tokens).'),
});

export const SamplingSchema = z.strictObject({
  promptsPerIteration: positiveInt.default(64).describe('Prompts sampled per iteration (a fresh slice each iteration).'),
  n: z.number().int().min(2).default(8).describe('Responses per prompt.'),
  temperatures: z.array(z.number().positive()).min(1).default([1.0, 0.7]).describe('Temperatures cycled over the n responses (RLHF Workflow: half at 1.0, half at 0.7).'),
  topK: nonNegInt.default(0).describe('Keep the k most likely tokens; 0 disables.'),
  topP: z.number().gt(0).max(1).default(1).describe('Nucleus sampling mass; 1 disables.'),
  maxNewTokens: positiveInt.default(16).describe('Longest response, in tokens.'),
  shards: positiveInt.default(2).describe('Parallel sampling activities per iteration.'),
});

export const PairsSchema = z.strictObject({
  strategy: z.enum(PAIR_STRATEGIES).default('max_min').describe('How chosen/rejected are picked from a prompt\'s n scored responses.'),
  dropTies: z.boolean().default(true).describe('Drop pairs whose rewards tie.'),
  minMargin: z.number().nonnegative().default(0).describe('Drop pairs whose reward margin is below this.'),
});

export const RejectionSamplingSchema = z.strictObject({
  candidates: z.number().int().min(2).default(8).describe('Candidates sampled per prompt.'),
  accepted: positiveInt.default(2).describe('Samples accepted per prompt; must be <= candidates.'),
  etaSchedule: z.array(z.number().positive()).min(1).default([1.0, 0.3, 0.1]).describe('Annealed eta_1 > ... > eta_N = eta (multi-step); a single value is single-step RSO.'),
}).refine((r) => r.accepted <= r.candidates, { message: 'accepted must be <= candidates', path: ['accepted'] });

export const UpdateSchema = z.strictObject({
  loss: z.enum(LOSSES).default('sigmoid').describe('DPO-family loss (see PAPER.md).'),
  beta: z.number().positive().default(0.1).describe('KL strength beta (eta in the paper).'),
  labelSmoothing: z.number().min(0).lt(0.5).default(0).describe('eps of the robust (cDPO) loss.'),
  labelTemperature: z.number().positive().default(1).describe('Bradley-Terry temperature T of the preference labels against the reward J is measured on (P(a > b) = sigmoid((r_a - r_b)/T); 1 = the paper\'s model). The loss uses beta/T, so that its optimum is pi0 exp(r/beta) whatever T; e.g. the bt-oracle\'s temperature.'),
  lr: z.number().positive().default(1e-3).describe('Peak learning rate.'),
  schedule: z.enum(['constant', 'cosine', 'linear']).default('cosine').describe('Learning-rate schedule after warm-up.'),
  warmup: probability.default(0.03).describe('Warm-up as a fraction of the iteration\'s optimizer steps.'),
  epochs: positiveInt.default(2).describe('Passes over the iteration\'s pairs.'),
  batchSize: positiveInt.default(16).describe('Pairs per micro-batch.'),
  gradientAccumulation: positiveInt.default(1).describe('Micro-batches per optimizer step, run one after another; their gradients add up, so memory grows with batchSize only.'),
  weightDecay: z.number().nonnegative().default(0).describe('AdamW weight decay.'),
  maxGradNorm: z.number().positive().default(1).describe('Gradient clipping norm.'),
  init: z.enum(['previous', 'initial']).default('previous').describe('Start each iteration from pi_{t-1} (\'previous\', RLHF Workflow) or restart from pi0 (\'initial\', ICML paper).'),
  data: z.enum(['fresh', 'accumulate']).default('fresh').describe('Train on the new iteration\'s pairs only (\'fresh\', RLHF Workflow) or on all pairs so far (\'accumulate\', ICML paper).'),
  checkpointEvery: positiveInt.default(20).describe('Save a resumable training checkpoint every k optimizer steps.'),
});

export const EvaluationSchema = z.strictObject({
  prompts: positiveInt.default(32).describe('Held-out prompts used per evaluation (taken from the task\'s eval split).'),
  samplesPerPrompt: positiveInt.default(4).describe('Responses sampled per held-out prompt.'),
  exact: z.boolean().default(true).describe('Compute exact reward, KL, J and J(pi*) when the task is enumerable.'),
  select: z.enum(SELECT_BY).default('J').describe('Held-out figure that picks the best iteration: J (reward - beta * KL), reward, or winRate against pi0.'),
});

export const ExecutionSchema = z.strictObject({
  provider: z.enum(PROVIDERS).default('cpu').describe('ONNX Runtime execution provider.'),
  fallback: z.enum(['none', 'cpu']).default('none').describe('\'cpu\' falls back to the CPU provider when the requested one cannot load; \'none\' fails instead.'),
  threads: positiveInt.default(1).describe('ORT intra-op threads; fixed so that results are bit-identical run to run.'),
  allowLargeRuns: z.boolean().default(false).describe('Run a campaign even when its estimated work per step, rows in memory or storage exceed this machine (refused by default, with the estimate); the memory needed to train the policy is never overridden.'),
  iterationsPerRun: positiveInt.default(100).describe('Iterations per workflow run: the campaign continues-as-new after this many (sooner when Temporal suggests it), so that its history, and with it the cost of each iteration, stays flat however long the campaign.'),
  taskQueues: z.strictObject({
    inference: z.string().min(1).default('prefloop-inference').describe('Task queue of sampling and scoring activities.'),
    training: z.string().min(1).default('prefloop-training').describe('Task queue of update (training) activities.'),
    cpu: z.string().min(1).default('prefloop-cpu').describe('Task queue of light CPU activities (pairing, bookkeeping).'),
  }).prefault({}).describe('Temporal task queue names.'),
});

export const BudgetSchema = z.strictObject({
  labelsPerIteration: nonNegInt.default(0).describe('Preference labels per iteration, so algorithms are compared at equal label cost; 0 = unlimited.'),
});

export const OfflineDataSchema = z.strictObject({
  prompts: nonNegInt.default(0).describe('Prompts whose pi0 samples form D_off (hybrid, offline-dpo).'),
  pairs: filePath.optional().describe('Or a preference dataset as D_off, in TRL\'s format (JSONL or Parquet rows of prompt, chosen, rejected; standard strings or conversational messages; optional score_chosen, score_rejected), under the store root; needs policy.source hf, whose tokenizer and chat template read it.'),
});

export const CampaignSpecSchema = z.strictObject({
  name: z.string().regex(CAMPAIGN_ID_PATTERN, CAMPAIGN_ID_RULE).default('campaign').describe('Campaign name (used in ids and store paths).'),
  algorithm: z.enum(ALGORITHMS).default('online-iterative-dpo').describe('Which preference-learning algorithm runs.'),
  iterations: positiveInt.max(1000).default(3).describe('Iterations T; offline-multistep-rs spreads them over the stages of rejectionSampling.etaSchedule.'),
  seed: nonNegInt.default(0).describe('Root seed; every random draw derives from (seed, iteration, step, shard).'),
  policy: PolicySchema.prefault({ source: 'builtin' }).describe('The policy being trained.'),
  reference: z.enum(['initial', 'previous']).default('initial').describe('Reference policy of the loss: pi0 (\'initial\') or pi_{t-1} (\'previous\').'),
  task: TaskSchema.prefault({ name: 'bandit' }).describe('Prompts, responses and the gold reward.'),
  reward: RewardWithPenalty.prefault({}).describe('How responses are scored and preferences labelled.'),
  sampling: SamplingSchema.prefault({}).describe('How responses are sampled each iteration.'),
  pairs: PairsSchema.prefault({}).describe('How scored responses become (chosen, rejected) pairs.'),
  rejectionSampling: RejectionSamplingSchema.prefault({}).describe('Rejection sampling (rso, offline-multistep-rs).'),
  update: UpdateSchema.prefault({}).describe('The DPO-family policy update.'),
  evaluation: EvaluationSchema.prefault({}).describe('Held-out evaluation after each iteration.'),
  execution: ExecutionSchema.prefault({}).describe('Where compute runs.'),
  budget: BudgetSchema.prefault({}).describe('Label budget.'),
  offline: OfflineDataSchema.prefault({}).describe('Offline data D_off.'),
});

export type CampaignSpec = z.infer<typeof CampaignSpecSchema>;
/** reward.source: one of the reward source kinds (engine/preference/sources/ has one file per kind). */
export type RewardSourceSpec = z.infer<typeof RewardSchema>;
export type RewardSourceKind = RewardSourceSpec['kind'];
export type CampaignSpecInput = z.input<typeof CampaignSpecSchema>;
export type Algorithm = (typeof ALGORITHMS)[number];
export type LossName = (typeof LOSSES)[number];
export type PairStrategy = (typeof PAIR_STRATEGIES)[number];
export type Provider = (typeof PROVIDERS)[number];
