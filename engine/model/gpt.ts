/**
 * The GPT-style decoder, defined once (nanoGPT / GPT-2 layout): learned token and position embeddings,
 * `layers` pre-LayerNorm blocks of causal multi-head self-attention and a GELU MLP (4x), a final LayerNorm,
 * then either a language-model head (tied to the token embedding or untied) or a scalar reward head.
 * Every graph in graphs.ts is built from `trunk` below, so decode, scoring and training see the same math.
 * Parameter names follow Hugging Face GPT-2 so the checkpoints read familiarly.
 */
import prand from 'pure-rand';
import type { Graph, Tensor } from '../onnx';
import type { NamedTensors, ResolvedModelConfig } from './api';
import { InvalidInputError } from '../errors';

export type Head = 'lm' | 'scalar';
export type FloatType = 'float32' | 'float64';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** GPT-2 init: 'normal' draws N(0, std); 'zeros' / 'ones' are constants. */
  init: 'normal' | 'zeros' | 'ones';
  std: number;
  /** AdamW decays matrices and embeddings only; biases and LayerNorm gains are left alone (nanoGPT / HF). */
  decay: boolean;
}

const INIT_STD = 0.02;

export function headDim(config: ResolvedModelConfig): number {
  return config.dModel / config.heads;
}

/** Every parameter of the model, in the one stable order used for checkpoints, graph inputs and outputs. */
export function parameterSpecs(config: ResolvedModelConfig, head: Head): ParamSpec[] {
  const { vocab, dModel: d, layers, context } = config;
  // GPT-2 scales the residual projections by 1/sqrt(2 * layers) so the residual stream stays O(1) at init.
  const residualStd = INIT_STD / Math.sqrt(2 * layers);
  const matrix = (name: string, shape: number[], std = INIT_STD): ParamSpec => ({ name, shape, init: 'normal', std, decay: true });
  const bias = (name: string, n: number): ParamSpec => ({ name, shape: [n], init: 'zeros', std: 0, decay: false });
  const gain = (name: string, n: number): ParamSpec => ({ name, shape: [n], init: 'ones', std: 0, decay: false });
  const specs: ParamSpec[] = [
    matrix('transformer.wte.weight', [vocab, d]),
    matrix('transformer.wpe.weight', [context, d]),
  ];
  for (let l = 0; l < layers; l++) {
    const p = `transformer.h.${l}`;
    specs.push(
      gain(`${p}.ln_1.weight`, d), bias(`${p}.ln_1.bias`, d),
      matrix(`${p}.attn.c_attn.weight`, [d, 3 * d]), bias(`${p}.attn.c_attn.bias`, 3 * d),
      matrix(`${p}.attn.c_proj.weight`, [d, d], residualStd), bias(`${p}.attn.c_proj.bias`, d),
      gain(`${p}.ln_2.weight`, d), bias(`${p}.ln_2.bias`, d),
      matrix(`${p}.mlp.c_fc.weight`, [d, 4 * d]), bias(`${p}.mlp.c_fc.bias`, 4 * d),
      matrix(`${p}.mlp.c_proj.weight`, [4 * d, d], residualStd), bias(`${p}.mlp.c_proj.bias`, d),
    );
  }
  specs.push(gain('transformer.ln_f.weight', d), bias('transformer.ln_f.bias', d));
  if (head === 'lm' && !config.tiedHead) specs.push(matrix('lm_head.weight', [vocab, d]));
  if (head === 'scalar') specs.push(matrix('score.weight', [1, d]));
  return specs;
}

/** Checks the config itself; every runtime calls this first. */
export function validateConfig(config: ResolvedModelConfig): void {
  for (const key of ['vocab', 'dModel', 'layers', 'heads', 'context'] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 1) throw new InvalidInputError(`model config: ${key} must be a positive integer, got ${value}`);
  }
  if (config.dModel % config.heads !== 0) {
    throw new InvalidInputError(`model config: dModel (${config.dModel}) must be divisible by heads (${config.heads}); choose heads that divide dModel`);
  }
}

/** Standard normal from two uniform 32-bit draws (Box-Muller); the generator is advanced in place. */
function normal(rng: prand.RandomGenerator): number {
  const u1 = ((rng.unsafeNext() >>> 0) + 1) / 4294967297; // in (0, 1): log never sees 0
  const u2 = (rng.unsafeNext() >>> 0) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** GPT-2 style initial weights; the same (config, seed) always gives bit-identical tensors. */
export function initWeights(config: ResolvedModelConfig, seed: number, head: Head): NamedTensors {
  validateConfig(config);
  if (!Number.isSafeInteger(seed)) throw new InvalidInputError(`init seed must be an integer, got ${seed}`);
  const rng = prand.xoroshiro128plus(seed);
  const out: NamedTensors = new Map();
  for (const spec of parameterSpecs(config, head)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (spec.init === 'ones') data.fill(1);
    else if (spec.init === 'normal') for (let i = 0; i < size; i++) data[i] = normal(rng) * spec.std;
    out.set(spec.name, { dtype: 'float32', shape: spec.shape.slice(), data });
  }
  return out;
}

/** A policy (language-model head) at GPT-2 init. */
export function initPolicy(config: ResolvedModelConfig, seed: number): NamedTensors {
  return initWeights(config, seed, 'lm');
}

/** A Bradley-Terry reward model (scalar head) at GPT-2 init. */
export function initRewardModel(config: ResolvedModelConfig, seed: number): NamedTensors {
  return initWeights(config, seed, 'scalar');
}

/** Zero tensors shaped like `weights` (AdamW moments at step 0). */
export function zerosLike(weights: NamedTensors): NamedTensors {
  const out: NamedTensors = new Map();
  for (const [name, t] of weights) out.set(name, { dtype: 'float32', shape: t.shape.slice(), data: new Float32Array(t.data.length) });
  return out;
}

/** Graph handles of every parameter, by name. */
export type Params = Map<string, Tensor>;

export function declareParams(g: Graph, config: ResolvedModelConfig, head: Head, dtype: FloatType): Params {
  const params: Params = new Map();
  for (const spec of parameterSpecs(config, head)) params.set(spec.name, g.param(spec.name, spec.shape, dtype));
  return params;
}

function param(params: Params, name: string): Tensor {
  const t = params.get(name);
  if (!t) throw new Error(`internal: parameter ${name} was not declared`);
  return t;
}

/**
 * Additive attention bias [batch, 1, query, key]: 0 where a query may attend a key, -1e9 elsewhere.
 * Causality is by absolute position in the key sequence (queries are the last `query` keys, which holds for
 * both a full forward and a KV-cache step), and `attentionMask` (1 = real token, 0 = padding) hides pad keys.
 * A finite -1e9 (not -inf) keeps a fully masked row (a left-pad query) finite instead of NaN.
 */
export function attentionBias(g: Graph, inputIds: Tensor, attentionMask: Tensor, dtype: FloatType): Tensor {
  const one = g.scalar(1, 'int64');
  // Positions are small integers, exact in floating point; the builder's arithmetic is float-only.
  const keyLen = g.cast(g.gather(g.shapeOf(attentionMask), one, 0), dtype);
  const queryLen = g.cast(g.gather(g.shapeOf(inputIds), one, 0), dtype);
  const keyPos = g.range(g.scalar(0, dtype), keyLen, g.scalar(1, dtype));
  const queryPos = g.range(g.sub(keyLen, queryLen), keyLen, g.scalar(1, dtype));
  const future = g.greater(g.unsqueeze(keyPos, [0]), g.unsqueeze(queryPos, [1])); // [query, key]
  const causal = g.cast(g.not(future), dtype);
  const keyOk = g.unsqueeze(g.cast(attentionMask, dtype), [1, 2]); // [batch, 1, 1, key]
  const allowed = g.mul(keyOk, causal); // [batch, 1, query, key]
  return g.mul(g.sub(allowed, 1), 1e9);
}

export interface LayerCache { key: Tensor; value: Tensor }

export interface TrunkOutput {
  /** Final-LayerNorm hidden states [batch, seq, dModel]. */
  hidden: Tensor;
  /** Keys / values of every layer over past + current positions [batch, heads, past+seq, headDim]. */
  present: LayerCache[];
}

/**
 * The decoder trunk. `past` (one cache per layer) is given only by the decode graph; training and scoring
 * graphs run the whole sequence at once.
 */
export function trunk(
  g: Graph, config: ResolvedModelConfig, params: Params,
  inputIds: Tensor, positionIds: Tensor, bias: Tensor, past?: LayerCache[],
): TrunkOutput {
  const { dModel: d, heads, layers } = config;
  const hd = headDim(config);
  const p = (name: string) => param(params, name);
  let x = g.add(g.gather(p('transformer.wte.weight'), inputIds, 0), g.gather(p('transformer.wpe.weight'), positionIds, 0));
  const splitHeads = (t: Tensor) => g.transpose(g.reshape(t, [0, 0, heads, hd]), [0, 2, 1, 3]);
  const present: LayerCache[] = [];
  for (let l = 0; l < layers; l++) {
    const pre = `transformer.h.${l}`;
    const h = g.layerNorm(x, p(`${pre}.ln_1.weight`), p(`${pre}.ln_1.bias`), 1e-5);
    const qkv = g.add(g.matmul(h, p(`${pre}.attn.c_attn.weight`)), p(`${pre}.attn.c_attn.bias`));
    const q = splitHeads(g.slice(qkv, [0], [d], [2]));
    let k = splitHeads(g.slice(qkv, [d], [2 * d], [2]));
    let v = splitHeads(g.slice(qkv, [2 * d], [3 * d], [2]));
    if (past) {
      k = g.concat([past[l].key, k], 2);
      v = g.concat([past[l].value, v], 2);
    }
    present.push({ key: k, value: v });
    // Scaling q (not the scores) keeps the scaled tensor small: [b, h, s, hd] instead of [b, h, s, key].
    const scores = g.add(g.matmul(g.mul(q, 1 / Math.sqrt(hd)), g.transpose(k, [0, 1, 3, 2])), bias);
    const attended = g.matmul(g.softmax(scores, -1), v);
    const merged = g.reshape(g.transpose(attended, [0, 2, 1, 3]), [0, 0, d]);
    x = g.add(x, g.add(g.matmul(merged, p(`${pre}.attn.c_proj.weight`)), p(`${pre}.attn.c_proj.bias`)));
    const h2 = g.layerNorm(x, p(`${pre}.ln_2.weight`), p(`${pre}.ln_2.bias`), 1e-5);
    const fc = g.gelu(g.add(g.matmul(h2, p(`${pre}.mlp.c_fc.weight`)), p(`${pre}.mlp.c_fc.bias`)));
    x = g.add(x, g.add(g.matmul(fc, p(`${pre}.mlp.c_proj.weight`)), p(`${pre}.mlp.c_proj.bias`)));
  }
  const hidden = g.layerNorm(x, p('transformer.ln_f.weight'), p('transformer.ln_f.bias'), 1e-5);
  return { hidden, present };
}

/** Next-token logits [batch, seq, vocab] from the trunk's hidden states. */
export function lmLogits(g: Graph, config: ResolvedModelConfig, params: Params, hidden: Tensor): Tensor {
  const head = config.tiedHead ? param(params, 'transformer.wte.weight') : param(params, 'lm_head.weight');
  return g.matmul(hidden, g.transpose(head, [1, 0]));
}
