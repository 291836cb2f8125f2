/**
 * Model shapes and workloads of the engine bench (bench/engine.ts), and the FLOP count of a preference step.
 *
 * A preset names a real model's shape (random weights: the speed and memory of a shape do not depend on its values)
 * and the workload measured on it. `hf` is the Hugging Face config.json the shape comes from, so the PyTorch side
 * (scripts/bench_torch.py, --vs-torch) builds the same model with transformers.
 */
export interface Shape {
  family: 'gpt2' | 'llama' | 'qwen2';
  vocab: number;
  dModel: number;
  layers: number;
  heads: number;
  kvHeads: number;
  /** MLP hidden width (GPT-2: 4 d; llama / qwen2: intermediate_size). */
  mlp: number;
  tiedHead: boolean;
  /** Positions the model is built for (GPT-2's learned position table; the others use rotary embeddings). */
  context: number;
}

export interface Workload {
  /** Preference pairs per step (2 rows each) and tokens per row (prompt + response). */
  pairs: number;
  rowTokens: number;
  promptTokens: number;
  /** Decoding: rows sampled at once, new tokens per row after a 1-token prompt. */
  decodeRows: number;
  newTokens: number;
  /** Uncached decoding re-runs the whole prefix every token: measured on small shapes only. */
  uncached: boolean;
}

export interface Preset {
  shape: Shape;
  workload: Workload;
  hf: Record<string, unknown>;
}

const REAL_SIZE: Workload = { pairs: 2, rowTokens: 256, promptTokens: 32, decodeRows: 8, newTokens: 64, uncached: false };

export const PRESETS: Record<string, Preset> = {
  // The bench's historic default: about 3.3M parameters, fast enough for a quick check.
  tiny: {
    shape: { family: 'gpt2', vocab: 256, dModel: 256, layers: 4, heads: 4, kvHeads: 4, mlp: 1024, tiedHead: true, context: 128 },
    workload: { pairs: 8, rowTokens: 128, promptTokens: 32, decodeRows: 8, newTokens: 127, uncached: true },
    hf: { model_type: 'gpt2', vocab_size: 256, n_embd: 256, n_layer: 4, n_head: 4, n_positions: 128, tie_word_embeddings: true, bos_token_id: 0, eos_token_id: 0 },
  },
  'gpt2-small': {
    shape: { family: 'gpt2', vocab: 50257, dModel: 768, layers: 12, heads: 12, kvHeads: 12, mlp: 3072, tiedHead: true, context: 1024 },
    workload: REAL_SIZE,
    hf: { model_type: 'gpt2', vocab_size: 50257, n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, tie_word_embeddings: true },
  },
  'smollm2-135m': {
    shape: { family: 'llama', vocab: 49152, dModel: 576, layers: 30, heads: 9, kvHeads: 3, mlp: 1536, tiedHead: true, context: 8192 },
    workload: REAL_SIZE,
    hf: {
      model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: 49152, hidden_size: 576, num_hidden_layers: 30,
      num_attention_heads: 9, num_key_value_heads: 3, intermediate_size: 1536, tie_word_embeddings: true,
      max_position_embeddings: 8192, rms_norm_eps: 1e-5, rope_theta: 100000, hidden_act: 'silu', bos_token_id: 0, eos_token_id: 0,
    },
  },
  'qwen2.5-0.5b': {
    shape: { family: 'qwen2', vocab: 151936, dModel: 896, layers: 24, heads: 14, kvHeads: 2, mlp: 4864, tiedHead: true, context: 32768 },
    workload: REAL_SIZE,
    hf: {
      model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], vocab_size: 151936, hidden_size: 896, num_hidden_layers: 24,
      num_attention_heads: 14, num_key_value_heads: 2, intermediate_size: 4864, tie_word_embeddings: true,
      max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1000000, hidden_act: 'silu', bos_token_id: 151643, eos_token_id: 151643,
    },
  },
};

/**
 * Multiply-accumulate weights one token passes through: attention projections (q and out d x d each, k and v
 * d x kvDim each), the MLP (GPT-2: 2 matrices d x mlp; llama / qwen2: gate, up and down) and the LM head (vocab x d;
 * the embedding lookup itself is free).
 */
export function matmulParams(s: Shape): number {
  const kvDim = (s.dModel / s.heads) * s.kvHeads;
  const attention = 2 * s.dModel * s.dModel + 2 * s.dModel * kvDim;
  const mlp = (s.family === 'gpt2' ? 2 : 3) * s.dModel * s.mlp;
  return s.layers * (attention + mlp) + s.vocab * s.dModel;
}

/**
 * FLOPs of one preference step (forward + backward of the policy; reference log-probs are precomputed inputs):
 * 6 * matmulParams per processed token, plus attention's QK^T and AV: 2 * 2 * T^2 * d per layer and row forward,
 * x3 with backward (the graphs compute the full T x T scores, so no causal halving). Norms, softmax, activations,
 * the loss and AdamW are O(params + tokens * d) and left out: the figure slightly underestimates the work done.
 */
export function preferenceStepFlops(s: Shape, rows: number, seqT: number): number {
  return 6 * matmulParams(s) * rows * seqT + rows * 12 * s.layers * seqT * seqT * s.dModel;
}

/**
 * Peak memory of a preference step as this engine runs it, estimated before anything is allocated, so a shape the
 * machine cannot train is refused with the figure instead of swapping or being killed. A step runs the training graph
 * (gradients out), then AdamW a slice at a time (engine/model/adamw-slices.ts). Per parameter,
 * float32, the larger of two phases: backward, the state handed in (weights, m, v) and the gradients twice (ORT's
 * and the binding's copy of them) = 5 x 4 bytes, plus the activations; the optimizer, at most the state handed in,
 * a new state (where the state is not handed over; the bench hands it over, as update() does, and then it is
 * updated in place) and the gradients = 7 x 4 bytes. Activations per processed token: the [tokens, vocab] logits,
 * their log-softmax and two gradient-sized buffers of them (4 x 4 bytes x vocab); the activations kept for the backward
 * pass, about 10 d + 4 mlp floats per token and layer. Plus ~0.7 GiB of runtime, weights' init and slack.
 * Against the measured peak (bench:engine --preset smollm2-135m --threads 2 --quick): estimated 5.3 GiB, measured
 * 4.8 GiB (4922 MiB).
 */
export function trainPeakEstimateBytes(params: number, s: Shape, rows: number, seqT: number): number {
  const tokens = rows * seqT;
  const activations = tokens * s.vocab * 4 * 4 + tokens * s.layers * (10 * s.dModel + 4 * s.mlp) * 4;
  return Math.max(params * 4 * 5 + activations, params * 4 * 7) + 0.7 * 2 ** 30;
}

/** Peak memory of cached decoding: the weights (fed to ORT as views, not copied), logits and the KV cache, twice over. */
export function decodePeakEstimateBytes(params: number, s: Shape, rows: number, tokens: number): number {
  const kvDim = (s.dModel / s.heads) * s.kvHeads;
  return params * 4 + rows * tokens * (s.vocab + 2 * s.layers * kvDim) * 4 * 2 + 0.7 * 2 ** 30;
}
