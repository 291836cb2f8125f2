/**
 * The contract between the model family (engine/model, engine/runtime, engine/sampling) and everything
 * that uses it (algorithms, steps, runner, benchmarks). Implementations live beside this file.
 * No Temporal here, ever.
 */
import type { LossName, Provider } from '../../schemas/campaign';

/** The decoder families (one file each beside gpt.ts); the built-in model is 'gpt2'. */
export const MODEL_FAMILIES = ['gpt2', 'llama', 'qwen2', 'mistral'] as const;
export type ModelFamilyName = (typeof MODEL_FAMILIES)[number];

/** Llama 3.x's `rope_scaling` (rope_type 'llama3'): long wavelengths are slowed by `factor`, a band in between is blended. */
export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalContext: number;
}

/**
 * A model config with every size resolved (vocab taken from the task's tokenizer, or from config.json for a
 * Hugging Face model). The optional fields belong to the Hugging Face families; absent, they take the built-in
 * GPT's values, so a built-in config is one of `family` 'gpt2' as before.
 */
export interface ResolvedModelConfig {
  vocab: number;
  dModel: number;
  layers: number;
  heads: number;
  context: number;
  tiedHead: boolean;
  /** Absent: 'gpt2' (the built-in decoder). */
  family?: ModelFamilyName;
  /** Where `context` comes from, named in length errors (e.g. "config.json max_position_embeddings"). */
  contextSource?: string;
  /** Key/value heads (grouped-query attention); absent: `heads`. */
  kvHeads?: number;
  /** Per-head width; absent: dModel / heads. */
  headDim?: number;
  /** MLP hidden width; absent: 4 * dModel. */
  intermediate?: number;
  /** Epsilon of LayerNorm (gpt2) or RMSNorm (llama-like); absent: 1e-5. */
  normEps?: number;
  /** Rotary embedding base (llama-like). */
  ropeTheta?: number;
  ropeScaling?: Llama3RopeScaling;
  /** Biases on the q/k/v projections (qwen2; llama's attention_bias), on the output projection, on the MLP. */
  qkvBias?: boolean;
  outBias?: boolean;
  mlpBias?: boolean;
  /** Std of the normal init of matrices (config.json initializer_range); absent: 0.02. */
  initStd?: number;
}

export interface NamedTensor {
  dtype: 'float32';
  shape: number[];
  data: Float32Array;
}
/** Parameters (or optimizer moments) by name, in a stable order. */
export type NamedTensors = Map<string, NamedTensor>;

/** Everything a training step consumes and produces: weights plus AdamW state. */
export interface TrainState {
  weights: NamedTensors;
  m: NamedTensors;
  v: NamedTensors;
  /** Optimizer steps taken so far (AdamW bias correction uses step + 1). */
  step: number;
}

export interface RuntimeOptions {
  provider: Provider;
  fallback: 'none' | 'cpu';
  threads: number;
}

export interface SampleOptions {
  /** One temperature per prompt row. */
  temperatures: number[];
  topK: number;
  topP: number;
  maxNewTokens: number;
  /** Generation of a row stops after it emits one of these (the stop token is kept in the response). */
  stopTokens: number[];
  seed: number;
}

export interface PreferenceBatch {
  prompts: number[][];
  chosen: number[][];
  rejected: number[][];
  /** Sequence log-probs of chosen / rejected under the reference policy (precomputed). */
  refChosen: number[];
  refRejected: number[];
}

/** One SFT batch: response tokens per prompt row. */
export interface SftBatch {
  prompts: number[][];
  responses: number[][];
}

export interface PreferenceHyper {
  loss: LossName;
  beta: number;
  labelSmoothing: number;
  lr: number;
  weightDecay: number;
  maxGradNorm: number;
  /**
   * Gradient accumulation: pairs (SFT: rows) run at once. A larger batch runs in micro-batches of this many, one
   * after another, whose gradients add up before one clipped AdamW step (engine/model/accumulate.ts). Absent: the
   * whole batch at once.
   */
  microBatch?: number;
}

/** Metric names follow the standard DPO trainer. */
export interface PreferenceStepMetrics {
  loss: number;
  grad_norm: number;
  'rewards/chosen': number;
  'rewards/rejected': number;
  'rewards/margins': number;
  'rewards/accuracies': number;
  'logps/chosen': number;
  'logps/rejected': number;
}

/** One step of PolicyRuntime.preferenceSteps(): its batch and hyper-parameters (the learning rate changes per step). */
export interface PreferenceStepInput {
  batch: PreferenceBatch;
  hyper: PreferenceHyper;
}

/**
 * How a multi-step training call may treat the state it is given. `consume: true` hands the state over: its arrays
 * may be overwritten with the new state (the returned state may be those very arrays), so the caller must not read
 * it, or anything sharing its arrays, after the call, even one that failed. Without it, a call never writes into
 * the state it was given (it then holds that state and the new one side by side: 12 more bytes per parameter).
 */
export interface TrainCallOptions {
  consume?: boolean;
}

/**
 * How a sampling or scoring call may treat the weights it is given. `consume: true` hands them over: the caller will
 * not read their arrays again, so a runtime on a compute thread moves them there (no copy; the caller's arrays become
 * empty) and keeps them. The weights object still names those weights in later sample / sequenceLogprobs calls on
 * the same runtime (handed over or not), as long as the thread keeps them: until a training call, the step giving
 * its runtime back (dispose()), or more weights sets named than it keeps (resident-weights.ts); a call naming the
 * emptied object after that is refused with an error saying so. Inline nothing moves and the option changes nothing.
 * Without it, a thread copies the weights and the caller's arrays are untouched.
 */
export interface WeightsCallOptions {
  consume?: boolean;
}

export interface PolicyRuntime {
  readonly config: ResolvedModelConfig;
  /** Batched autoregressive sampling with the KV cache. Returns response tokens per row. */
  sample(weights: NamedTensors, prompts: number[][], options: SampleOptions, callOptions?: WeightsCallOptions): Promise<number[][]>;
  /** Sum of per-token log-probs of each response given its prompt (prompt and padding masked). */
  sequenceLogprobs(weights: NamedTensors, prompts: number[][], responses: number[][], callOptions?: WeightsCallOptions): Promise<Float64Array>;
  /** One SFT (cross-entropy on response tokens) AdamW step. */
  sftStep(state: TrainState, prompts: number[][], responses: number[][], hyper: Omit<PreferenceHyper, 'loss' | 'beta' | 'labelSmoothing'>): Promise<{ state: TrainState; loss: number; grad_norm: number }>;
  /**
   * SFT steps in a row, one per batch, each on the state the previous one returned: the same result as calling
   * sftStep per batch, in one call (a runtime on another thread then pays one round trip, not one per step).
   * Returns the last step's loss and grad_norm.
   */
  sftSteps(state: TrainState, batches: SftBatch[], hyper: Omit<PreferenceHyper, 'loss' | 'beta' | 'labelSmoothing'>, options?: TrainCallOptions): Promise<{ state: TrainState; loss: number; grad_norm: number }>;
  /** One preference-loss AdamW step (every loss of PAPER.md). */
  preferenceStep(state: TrainState, batch: PreferenceBatch, hyper: PreferenceHyper): Promise<{ state: TrainState; metrics: PreferenceStepMetrics }>;
  /**
   * Preference steps in a row, each on the state the previous one returned: the same result as calling
   * preferenceStep per step, in one call (one round trip to a compute thread). Returns every step's metrics.
   */
  preferenceSteps(state: TrainState, steps: PreferenceStepInput[], options?: TrainCallOptions): Promise<{ state: TrainState; metrics: PreferenceStepMetrics[] }>;
  dispose(): Promise<void>;
}

export interface RewardRuntime {
  readonly config: ResolvedModelConfig;
  /** Scalar reward per (prompt, response). */
  score(weights: NamedTensors, prompts: number[][], responses: number[][]): Promise<Float64Array>;
  /** One Bradley-Terry loss AdamW step: -log sigmoid(r(chosen) - r(rejected)). */
  btStep(state: TrainState, prompts: number[][], chosen: number[][], rejected: number[][], hyper: Omit<PreferenceHyper, 'loss' | 'beta' | 'labelSmoothing'>): Promise<{ state: TrainState; loss: number; accuracy: number; grad_norm: number }>;
  dispose(): Promise<void>;
}
