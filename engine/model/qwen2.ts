/**
 * Qwen2 / Qwen2.5: the llama trunk (llama.ts) with biases on the q, k and v projections (none on o_proj or the
 * MLP), as transformers' modeling_qwen2.py. Its sliding window (use_sliding_window) is read in hf-config.ts: the
 * model's context is clamped to the window, so a sequence that would need it is refused instead.
 */
import { InvalidInputError } from '../errors';
import { llamaLike } from './llama';

export const qwen2 = llamaLike('qwen2', (config) => {
  if (!config.qkvBias) throw new InvalidInputError('model config (qwen2): qwen2 has q/k/v projection biases (qkvBias must be true)');
});
