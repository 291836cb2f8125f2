/**
 * The policy model, defined once for every decoder family: the family's trunk (gpt2.ts, the built-in layout, or a
 * Hugging Face family: llama.ts, qwen2.ts, mistral.ts, chosen by `config.family`) followed by either a
 * language-model head (tied to the token embedding or untied, `lm_head.weight`) or a scalar reward head
 * (`score.weight`). Every graph in graphs.ts is built from `trunk` and `lmLogits` below, so decode, scoring and
 * training see the same math whatever the family. Parameter names follow Hugging Face.
 */
import prand from 'pure-rand';
import type { Graph, Tensor } from '../onnx';
import { MODEL_FAMILIES, type NamedTensors, type ResolvedModelConfig } from './api';
import { InvalidInputError } from '../errors';
import { headDim, kvHeads, param, type DecoderFamily, type FloatType, type Head, type LayerCache, type ParamSpec, type Params, type TrunkOutput } from './decoder';
import { gpt2 } from './gpt2';
import { llama } from './llama';
import { mistral } from './mistral';
import { qwen2 } from './qwen2';

export { attentionBias, headDim, kvHeads } from './decoder';
export type { FloatType, Head, LayerCache, ParamSpec, Params, TrunkOutput } from './decoder';

const FAMILIES: Record<string, DecoderFamily> = { gpt2, llama, qwen2, mistral };
const INIT_STD = 0.02;

/** The family a config names ('gpt2', the built-in decoder, when it names none). */
export function familyOf(config: ResolvedModelConfig): DecoderFamily {
  const family = FAMILIES[config.family ?? 'gpt2'];
  if (!family) throw new InvalidInputError(`model config: family ${JSON.stringify(config.family)} is not supported; supported: ${MODEL_FAMILIES.join(', ')}`);
  return family;
}

/** Every parameter of the model, in the one stable order used for checkpoints, graph inputs and outputs. */
export function parameterSpecs(config: ResolvedModelConfig, head: Head): ParamSpec[] {
  const specs = familyOf(config).params(config);
  const std = config.initStd ?? INIT_STD;
  if (head === 'lm' && !config.tiedHead) specs.push({ name: 'lm_head.weight', shape: [config.vocab, config.dModel], init: 'normal', std, decay: true });
  if (head === 'scalar') specs.push({ name: 'score.weight', shape: [1, config.dModel], init: 'normal', std, decay: true });
  return specs;
}

/** Checks the config itself; every runtime calls this first. */
export function validateConfig(config: ResolvedModelConfig): void {
  for (const key of ['vocab', 'dModel', 'layers', 'heads', 'context'] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 1) throw new InvalidInputError(`model config: ${key} must be a positive integer, got ${value}`);
  }
  for (const key of ['kvHeads', 'headDim', 'intermediate'] as const) {
    const value = config[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new InvalidInputError(`model config: ${key} must be a positive integer, got ${value}`);
  }
  familyOf(config).validate(config);
}

/** Standard normal from two uniform 32-bit draws (Box-Muller); the generator is advanced in place. */
function normal(rng: prand.RandomGenerator): number {
  const u1 = ((rng.unsafeNext() >>> 0) + 1) / 4294967297; // in (0, 1): log never sees 0
  const u2 = (rng.unsafeNext() >>> 0) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Initial weights (GPT-2 / transformers' init: normal matrices, unit gains, zero biases); the same (config, seed)
 * always gives bit-identical tensors. Hugging Face families use it for random models of a given config.json
 * (benchmarks at real shapes without downloading weights): see hfConfigFromJson in engine/checkpoint/hf-config.ts.
 */
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

export function declareParams(g: Graph, config: ResolvedModelConfig, head: Head, dtype: FloatType): Params {
  const params: Params = new Map();
  for (const spec of parameterSpecs(config, head)) params.set(spec.name, g.param(spec.name, spec.shape, dtype));
  return params;
}

/** The decoder trunk of the config's family (see DecoderFamily.trunk). */
export function trunk(
  g: Graph, config: ResolvedModelConfig, params: Params,
  inputIds: Tensor, positionIds: Tensor, bias: Tensor, past?: LayerCache[],
): TrunkOutput {
  return familyOf(config).trunk(g, config, params, inputIds, positionIds, bias, past);
}

/** Next-token logits [batch, seq, vocab] from the trunk's hidden states. */
export function lmLogits(g: Graph, config: ResolvedModelConfig, params: Params, hidden: Tensor): Tensor {
  const head = config.tiedHead ? param(params, familyOf(config).embedding) : param(params, 'lm_head.weight');
  return g.matmul(hidden, g.transpose(head, [1, 0]));
}

/** The KV cache's shape per layer: [batch, cacheHeads, past, cacheHeadDim]. */
export function cacheShape(config: ResolvedModelConfig): { heads: number; headDim: number } {
  return { heads: kvHeads(config), headDim: headDim(config) };
}
