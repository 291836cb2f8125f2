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

/**
 * The distribution chooseToken draws from (float64, sums to 1): softmax(logits / T) restricted to the top-k
 * and then to the nucleus, renormalised. Greedy settings give a one-hot row.
 */
export function filteredProbabilities(logits: ArrayLike<number>, opts: ChooseOptions): Float64Array {
  checkOptions(opts);
  const n = logits.length;
  if (n === 0) throw new RangeError('logits row is empty');
  let finite = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(logits[i]) || logits[i] === Infinity) throw new RangeError(`logits[${i}] is ${logits[i]}; the model produced a non-finite value`);
    if (logits[i] !== -Infinity) finite++;
  }
  if (finite === 0) throw new RangeError('every logit is -Infinity; no token can be chosen');
  const probs = new Float64Array(n);
  if (opts.temperature <= GREEDY_TEMPERATURE || opts.topK === 1) {
    probs[argmax(logits)] = 1;
    return probs;
  }
  // Candidates sorted by logit, descending; ties by id, so the nucleus is deterministic.
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => logits[i] !== -Infinity);
  order.sort((a, b) => logits[b] - logits[a] || a - b);
  const keep = opts.topK > 0 ? Math.min(opts.topK, order.length) : order.length;
  const top = logits[order[0]];
  let sum = 0;
  for (let j = 0; j < keep; j++) {
    const p = Math.exp((logits[order[j]] - top) / opts.temperature);
    probs[order[j]] = p;
    sum += p;
  }
  let nucleus = keep;
  if (opts.topP < 1) {
    let cum = 0;
    for (let j = 0; j < keep; j++) {
      cum += probs[order[j]] / sum;
      if (cum >= opts.topP) {
        nucleus = j + 1;
        break;
      }
    }
    for (let j = nucleus; j < keep; j++) probs[order[j]] = 0;
    sum = 0;
    for (let j = 0; j < nucleus; j++) sum += probs[order[j]];
  }
  for (let j = 0; j < nucleus; j++) probs[order[j]] /= sum;
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
