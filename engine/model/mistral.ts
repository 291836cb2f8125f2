/**
 * Mistral: the llama trunk (llama.ts) with sliding-window attention. Within one window the sliding window changes
 * nothing, so prefloop runs Mistral as llama and clamps the model's context to `sliding_window` (hf-config.ts): a
 * prompt + response longer than the window is refused before any compute, never computed with the wrong mask.
 */
import { llamaLike } from './llama';

export const mistral = llamaLike('mistral');
