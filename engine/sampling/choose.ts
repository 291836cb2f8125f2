/**
 * Choosing the next token from one row of logits: temperature, then top-k, then top-p (nucleus), then one
 * uniform draw by inverse CDF. Every call consumes exactly one draw, argmax included, so that a row's random
 * stream stays aligned whatever its temperature.
 */
import type { Rng } from './rng';

export interface ChooseOptions {
  /** <= 1e-6 means greedy (argmax). */
  temperature: number;
  /** Keep the k most likely tokens; 0 disables. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches topP; 1 disables. */
  topP: number;
}

const GREEDY_TEMPERATURE = 1e-6;

function checkOptions(o: ChooseOptions): void {
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) throw new RangeError(`temperature must be a finite number >= 0, got ${o.temperature}`);
  if (!Number.isInteger(o.topK) || o.topK < 0) throw new RangeError(`topK must be an integer >= 0 (0 = off), got ${o.topK}`);
  if (!(o.topP > 0 && o.topP <= 1)) throw new RangeError(`topP must be in (0, 1] (1 = off), got ${o.topP}`);
}

/** Index of the largest logit; the lowest index wins ties. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** More likely first; ties by the lower id, so the order (and the nucleus) is deterministic. */
function ranksBefore(logits: ArrayLike<number>, a: number, b: number): boolean {
  return logits[a] > logits[b] || (logits[a] === logits[b] && a < b);
}

/**
 * Yields candidate ids from most to least likely, each pop O(log n): top-k and the nucleus need only their first
 * few ids in order, and sorting a whole 50k-150k vocabulary row per token per row cost more than the model's
 * forward pass at real vocab sizes (bench:engine --preset smollm2-135m).
 */
function* descending(logits: ArrayLike<number>, ids: Int32Array): Generator<number> {
  const heap = ids;
  let size = heap.length;
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < size && ranksBefore(logits, heap[l], heap[best])) best = l;
      if (r < size && ranksBefore(logits, heap[r], heap[best])) best = r;
      if (best === i) return;
      [heap[i], heap[best]] = [heap[best], heap[i]];
      i = best;
    }
  };
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);
  while (size > 0) {
    const top = heap[0];
    heap[0] = heap[--size];
    siftDown(0);
    yield top;
  }
}

/**
 * The distribution chooseToken draws from (float64, sums to 1): softmax(logits / T) restricted to the top-k
 * and then to the nucleus, renormalised. Greedy settings give a one-hot row.
 */
export function filteredProbabilities(logits: ArrayLike<number>, opts: ChooseOptions): Float64Array {
  checkOptions(opts);
  const n = logits.length;
  if (n === 0) throw new RangeError('logits row is empty');
  let finite = 0;
  let top = -Infinity;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(logits[i]) || logits[i] === Infinity) throw new RangeError(`logits[${i}] is ${logits[i]}; the model produced a non-finite value`);
    if (logits[i] !== -Infinity) finite++;
    if (logits[i] > top) top = logits[i];
  }
  if (finite === 0) throw new RangeError('every logit is -Infinity; no token can be chosen');
  const probs = new Float64Array(n);
  if (opts.temperature <= GREEDY_TEMPERATURE || opts.topK === 1) {
    probs[argmax(logits)] = 1;
    return probs;
  }
  const weight = (i: number) => Math.exp((logits[i] - top) / opts.temperature);
  const restricted = opts.topK > 0 && opts.topK < finite;
  let sum = 0;
  if (!restricted) {
    for (let i = 0; i < n; i++) {
      if (logits[i] === -Infinity) continue;
      probs[i] = weight(i);
      sum += probs[i];
    }
    if (opts.topP === 1) {
      for (let i = 0; i < n; i++) probs[i] /= sum;
      return probs;
    }
  }
  const ids = new Int32Array(finite);
  for (let i = 0, j = 0; i < n; i++) if (logits[i] !== -Infinity) ids[j++] = i;
  // The kept ids, most likely first: the top k, then (with top-p) the smallest prefix whose mass reaches p.
  const kept: number[] = [];
  const order = descending(logits, ids);
  if (restricted) {
    for (let j = 0; j < opts.topK; j++) {
      const id = order.next().value as number;
      kept.push(id);
      probs[id] = weight(id);
      sum += probs[id];
    }
  }
  let nucleus = kept.length;
  if (opts.topP < 1) {
    let cum = 0;
    nucleus = 0;
    for (;;) {
      const id = restricted ? kept[nucleus] : (order.next().value as number);
      if (!restricted) kept.push(id);
      nucleus++;
      cum += probs[id] / sum;
      if (cum >= opts.topP || nucleus === (restricted ? kept.length : finite)) break;
    }
    probs.fill(0);
    sum = 0;
    for (let j = 0; j < nucleus; j++) {
      probs[kept[j]] = weight(kept[j]);
      sum += probs[kept[j]];
    }
  }
  for (let j = 0; j < nucleus; j++) probs[kept[j]] /= sum;
  return probs;
}

export function chooseToken(logits: ArrayLike<number>, opts: ChooseOptions, rng: Rng): number {
  const u = rng.next();
  const probs = filteredProbabilities(logits, opts);
  let cum = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    cum += probs[i];
    last = i;
    if (u < cum) return i;
  }
  // Rounding can leave cum a hair below 1: the draw then belongs to the last kept token.
  return last;
}
