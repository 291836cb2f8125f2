/**
 * Turns token lists into the padded tensors the graphs take.
 *
 * Padding convention:
 * - Sequence graphs (scoring, training, reward) RIGHT-pad `prompt + response` rows. Positions are then simply
 *   0..len-1 in every row, and pad positions come after every real token, so causality alone keeps them out of
 *   real tokens' attention; the attention mask hides them as well and the response mask drops them from losses.
 * - Generation LEFT-pads prompts (see packPrompts) so every row's next token lands in the same column;
 *   position ids there count real tokens only, so a row's positions do not depend on its padding.
 * Pad slots hold token id 0, which every vocabulary has; they are masked wherever they could matter.
 */
import * as ort from 'onnxruntime-node';
import type { ResolvedModelConfig } from './api';
import type { Feeds } from './sessions';
import { InvalidInputError } from '../errors';

/** An int64 tensor from plain numbers (converted) or an already-built BigInt64Array (used as is). */
export function int64(values: number[] | BigInt64Array, dims: number[]): ort.Tensor {
  const data = values instanceof BigInt64Array ? values : BigInt64Array.from(values, (v) => BigInt(v));
  return new ort.Tensor('int64', data, dims);
}

/** Checks every row's token ids: integers in [0, vocab). `what` names the field in the error. */
export function checkTokens(rows: number[][], vocab: number, what: string): void {
  if (!Array.isArray(rows)) throw new InvalidInputError(`${what} must be an array of token-id arrays`);
  rows.forEach((row, i) => {
    if (!Array.isArray(row)) throw new InvalidInputError(`${what}[${i}] must be an array of token ids, got ${typeof row}`);
    row.forEach((id, j) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new InvalidInputError(`${what}[${i}][${j}] = ${id} is not a token id of this model (integers 0..${vocab - 1}); the tokenizer and the model config's vocab must agree`);
      }
    });
  });
}

/** Validates prompt / response pairs against the model: ids in range, non-empty prompts, lengths within context. */
export function checkSequences(config: ResolvedModelConfig, prompts: number[][], responses: number[][], what = 'responses'): void {
  checkTokens(prompts, config.vocab, 'prompts');
  checkTokens(responses, config.vocab, what);
  if (prompts.length !== responses.length) {
    throw new InvalidInputError(`prompts (${prompts.length} rows) and ${what} (${responses.length} rows) must have the same number of rows`);
  }
  if (prompts.length === 0) throw new InvalidInputError('a batch needs at least one row; got 0 prompts');
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new InvalidInputError(`prompts[${i}] is empty; every prompt needs at least one token (e.g. a BOS token) to condition on`);
    const total = p.length + responses[i].length;
    if (total > config.context) {
      throw new InvalidInputError(`row ${i}: prompt (${p.length}) + ${what} (${responses[i].length}) = ${total} tokens exceeds the model context of ${config.context}${config.contextSource ? ` (${config.contextSource})` : ''}; shorten it${config.contextSource ? '' : ' or raise model.context'}`);
    }
  });
}

interface RightPadded {
  ids: BigInt64Array;
  attention: BigInt64Array;
  positions: BigInt64Array;
}

/** `rows` right-padded (or cut) to `seq` columns; positions are 0..seq-1 in every row (see the file comment). */
function packRightPadded(rows: number[][], seq: number): RightPadded {
  const ids = new BigInt64Array(rows.length * seq);
  const attention = new BigInt64Array(rows.length * seq);
  const positions = new BigInt64Array(rows.length * seq);
  rows.forEach((tokens, r) => {
    for (let t = 0; t < seq; t++) {
      const k = r * seq + t;
      positions[k] = BigInt(t);
      if (t < tokens.length) {
        ids[k] = BigInt(tokens[t]);
        attention[k] = 1n;
      }
    }
  });
  return { ids, attention, positions };
}

function rightPaddedFeeds({ ids, attention, positions }: RightPadded, dims: number[]): Feeds {
  return { input_ids: int64(ids, dims), attention_mask: int64(attention, dims), position_ids: int64(positions, dims) };
}

/**
 * Right-padded rows for the scoring and training graphs. The last token of each row is never an input
 * (nothing is predicted from it), so `sequence_length` is the longest row minus one.
 */
export function packSequences(prompts: number[][], responses: number[][], dtype: 'float32' | 'float64' = 'float32'): Feeds {
  const rows = prompts.map((p, i) => p.concat(responses[i]));
  const seq = Math.max(1, Math.max(...rows.map((tokens) => tokens.length)) - 1);
  const targets = new BigInt64Array(rows.length * seq);
  const mask = dtype === 'float64' ? new Float64Array(rows.length * seq) : new Float32Array(rows.length * seq);
  rows.forEach((tokens, r) => {
    for (let t = 0; t < seq && t + 1 < tokens.length; t++) {
      targets[r * seq + t] = BigInt(tokens[t + 1]);
      if (t + 1 >= prompts[r].length) mask[r * seq + t] = 1;
    }
  });
  const dims = [rows.length, seq];
  return {
    ...rightPaddedFeeds(packRightPadded(rows, seq), dims),
    target_ids: int64(targets, dims),
    response_mask: new ort.Tensor(dtype, mask, dims),
  };
}

/** Right-padded full rows for the reward graphs, with a one-hot mask on each row's last real token. */
export function packRewardSequences(prompts: number[][], responses: number[][], dtype: 'float32' | 'float64' = 'float32'): Feeds {
  const rows = prompts.map((p, i) => p.concat(responses[i]));
  const seq = Math.max(...rows.map((tokens) => tokens.length));
  const last = dtype === 'float64' ? new Float64Array(rows.length * seq) : new Float32Array(rows.length * seq);
  rows.forEach((tokens, r) => {
    last[r * seq + tokens.length - 1] = 1;
  });
  const dims = [rows.length, seq];
  return { ...rightPaddedFeeds(packRightPadded(rows, seq), dims), last_token_mask: new ort.Tensor(dtype, last, dims) };
}

/** Scores prompt / response rows `chunk` rows per call, so one session run holds a bounded batch; one number per row. */
export async function scoreInChunks(
  prompts: number[][],
  responses: number[][],
  chunk: number,
  score: (prompts: number[][], responses: number[][]) => Promise<ArrayLike<number>>,
): Promise<Float64Array> {
  const result = new Float64Array(prompts.length);
  for (let start = 0; start < prompts.length; start += chunk) {
    const end = Math.min(prompts.length, start + chunk);
    result.set(await score(prompts.slice(start, end), responses.slice(start, end)), start);
  }
  return result;
}

export interface PromptBatch {
  /** Left-padded width. */
  width: number;
  ids: BigInt64Array;
  attention: BigInt64Array;
  positions: BigInt64Array;
  /** Next position id of every row (its real prompt length). */
  nextPosition: number[];
}

/** Left-padded prompts for prefill. */
export function packPrompts(prompts: number[][]): PromptBatch {
  const rows = prompts.length;
  const width = Math.max(...prompts.map((p) => p.length));
  const ids = new BigInt64Array(rows * width);
  const attention = new BigInt64Array(rows * width);
  const positions = new BigInt64Array(rows * width);
  prompts.forEach((p, r) => {
    const pad = width - p.length;
    p.forEach((id, j) => {
      const k = r * width + pad + j;
      ids[k] = BigInt(id);
      attention[k] = 1n;
      positions[k] = BigInt(j);
    });
  });
  return { width, ids, attention, positions, nextPosition: prompts.map((p) => p.length) };
}

