/**
 * The enumerable bandit: prompts and responses are short sequences over `vocab` symbols; every response of a
 * prompt (vocab^responseLength of them) can be listed, so J, KL and J(pi*) are exact. The gold reward is linear in
 * a random feature map phi(x, a) drawn from the seed (the paper's linear-reward assumption); the base
 * distribution pi0 imitates is a random Markov chain started from the prompt's last symbol.
 */
import { rngFor, streamId, type Rng } from '../sampling/rng';
import { normal } from '../preference/random';
import type { PromptResponse, Task } from './types';
import { InvalidInputError } from '../errors';

export interface BanditConfig {
  vocab: number;
  promptLength: number;
  responseLength: number;
  trainPrompts: number;
  evalPrompts: number;
  featureDim: number;
  rewardScale: number;
}

/** Listing more responses than this per prompt stops being a quick exact computation. */
export const MAX_ENUMERABLE_RESPONSES = 65536;

function sampleIndex(logits: Float64Array, rng: Rng): number {
  let m = -Infinity;
  for (const x of logits) m = Math.max(m, x);
  const p = Array.from(logits, (x) => Math.exp(x - m));
  const total = p.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < p.length; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return p.length - 1;
}

export function createBandit(config: BanditConfig, seed: number): Task {
  const { vocab: V, promptLength: P, responseLength: L, featureDim: D } = config;
  const count = V ** L;
  if (count > MAX_ENUMERABLE_RESPONSES) {
    throw new InvalidInputError(`task.bandit: vocab^responseLength = ${V}^${L} = ${count} responses per prompt is too many to enumerate (max ${MAX_ENUMERABLE_RESPONSES}); lower task.vocab or task.responseLength`);
  }
  const rng = rngFor(seed, streamId('task/bandit'));
  const prompt = (): number[] => Array.from({ length: P }, () => rng.nextInt(V));
  const trainPrompts = Array.from({ length: config.trainPrompts }, prompt);
  const evalPrompts = Array.from({ length: config.evalPrompts }, prompt);
  // G[k][t][x_{t mod P}][a_t]: feature k reads response symbol t against prompt symbol t mod P.
  const G = Float64Array.from({ length: D * L * V * V }, () => normal(rng));
  const theta = Array.from({ length: D }, () => normal(rng) / Math.sqrt(D));
  // Base distribution: first-symbol logits from the prompt's last symbol, then a bigram chain.
  const first = Float64Array.from({ length: V * V }, () => 1.5 * normal(rng));
  const next = Float64Array.from({ length: V * V }, () => 1.5 * normal(rng));

  const features = (x: number[], a: number[]): number[] => {
    const phi = new Array<number>(D).fill(0);
    for (let k = 0; k < D; k++) {
      let s = 0;
      for (let t = 0; t < L; t++) s += G[((k * L + t) * V + x[t % P]) * V + a[t]];
      phi[k] = s / L;
    }
    return phi;
  };
  const raw = (x: number[], a: number[]): number => features(x, a).reduce((s, f, k) => s + theta[k] * f, 0);

  const all: number[][] = [];
  for (let i = 0; i < count; i++) {
    const a: number[] = [];
    for (let t = 0, r = i; t < L; t++, r = Math.floor(r / V)) a.unshift(r % V);
    all.push(a);
  }
  // Scale so that rewardScale is the reward's standard deviation over the eval prompts' responses.
  let s1 = 0, s2 = 0, n = 0;
  for (const x of evalPrompts.slice(0, 16)) for (const a of all) { const r = raw(x, a); s1 += r; s2 += r * r; n++; }
  const std = Math.sqrt(Math.max(s2 / n - (s1 / n) ** 2, 1e-12));
  const w = theta.map((t) => (t * config.rewardScale) / std);

  return {
    name: 'bandit',
    vocab: V,
    trainPrompts,
    evalPrompts,
    maxNewTokens: L,
    stopTokens: [],
    enumerable: true,
    hasGold: true,
    featureDim: D,
    features,
    gold: (x, a) => features(x, a).reduce((s, f, k) => s + w[k] * f, 0),
    raterReward: (x, a) => features(x, a).reduce((s, f, k) => s + w[k] * f, 0),
    baseSamples(r: Rng, howMany: number): PromptResponse[] {
      return Array.from({ length: howMany }, () => {
        const x = trainPrompts[r.nextInt(trainPrompts.length)];
        const a: number[] = [];
        let prev = x[P - 1];
        for (let t = 0; t < L; t++) {
          const table = t === 0 ? first : next;
          prev = sampleIndex(table.subarray(prev * V, prev * V + V), r);
          a.push(prev);
        }
        return { prompt: x, response: a };
      });
    },
    allResponses: () => all,
    responseLength: (a) => a.length,
    render: (tokens) => tokens.map((t) => String.fromCharCode(97 + t)).join(''),
  };
}
