/**
 * A Hugging Face config.json -> prefloop's ResolvedModelConfig, per family (`model_type`). Every field prefloop
 * needs is checked here, and every option it cannot compute exactly is refused by name, so a model either runs
 * as transformers runs it or fails before any weight is read. Both ways transformers writes rotary settings are
 * read: `rope_theta` + `rope_scaling` (transformers 4.x, most checkpoints) and `rope_parameters` (5.x).
 */
import { InvalidInputError } from '../errors';
import { MODEL_FAMILIES, type Llama3RopeScaling, type ModelFamilyName, type ResolvedModelConfig } from '../model/api';

type Json = Record<string, unknown>;

class ConfigReader {
  constructor(readonly json: Json, readonly source: string) {}

  fail(field: string, problem: string, fix: string): never {
    throw new InvalidInputError(`${this.source}: ${field} ${problem}; ${fix}`);
  }

  int(field: string, fallback?: number): number {
    const v = this.json[field];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) this.fail(field, `is ${JSON.stringify(v)}, expected a positive integer`, 'this is not a config.json transformers would load');
    return v as number;
  }

  num(field: string, fallback: number): number {
    const v = this.json[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(field, `is ${JSON.stringify(v)}, expected a positive number`, 'fix the value');
    return v as number;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.json[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(field, `is ${JSON.stringify(v)}, expected true or false`, 'fix the value');
    return v as boolean;
  }

  /** An option prefloop does not compute: allowed only at the value that means "off". */
  only(field: string, allowed: unknown[], why: string): void {
    const v = this.json[field];
    if (v === undefined || v === null || allowed.some((a) => a === v)) return;
    this.fail(field, `is ${JSON.stringify(v)}, which prefloop does not support (${why})`, `supported: ${allowed.map((a) => JSON.stringify(a)).join(' or ')} (or absent)`);
  }
}

function gpt2Config(r: ConfigReader): ResolvedModelConfig {
  r.only('activation_function', ['gelu_new', 'gelu_pytorch_tanh'], 'the GPT-2 MLP uses the tanh approximation of GELU');
  r.only('scale_attn_weights', [true], 'attention scores are scaled by 1/sqrt(head dim)');
  r.only('scale_attn_by_inverse_layer_idx', [false], 'no per-layer attention scaling');
  r.only('add_cross_attention', [false], 'decoder-only models');
  const context = r.int('n_positions', r.json.n_ctx as number | undefined);
  return {
    family: 'gpt2',
    vocab: r.int('vocab_size'),
    dModel: r.int('n_embd'),
    layers: r.int('n_layer'),
    heads: r.int('n_head'),
    context,
    contextSource: `config.json n_positions`,
    tiedHead: r.bool('tie_word_embeddings', true),
    intermediate: r.json.n_inner === null || r.json.n_inner === undefined ? undefined : r.int('n_inner'),
    normEps: r.num('layer_norm_epsilon', 1e-5),
    initStd: r.num('initializer_range', 0.02),
  };
}

/** rope_theta and rope_scaling, from `rope_parameters` (transformers 5) or `rope_theta` + `rope_scaling` (4.x). */
function rope(r: ConfigReader): { theta: number; scaling?: Llama3RopeScaling } {
  const params = (r.json.rope_parameters ?? r.json.rope_scaling ?? null) as Json | null;
  const where = r.json.rope_parameters ? 'rope_parameters' : 'rope_scaling';
  if (params !== null && (typeof params !== 'object' || Array.isArray(params))) r.fail(where, `is ${JSON.stringify(params)}, expected an object`, 'fix the value');
  const theta = typeof params?.rope_theta === 'number' ? params.rope_theta : r.num('rope_theta', 10000);
  if (!(theta > 0)) r.fail(`${where}.rope_theta`, `is ${JSON.stringify(theta)}`, 'expected a positive number');
  if (params?.partial_rotary_factor !== undefined && params.partial_rotary_factor !== 1) {
    r.fail(`${where}.partial_rotary_factor`, `is ${JSON.stringify(params.partial_rotary_factor)}, which prefloop does not support`, 'supported: 1 (rotary over the whole head)');
  }
  r.only('partial_rotary_factor', [1], 'rotary embeddings over the whole head');
  const type = params ? (params.rope_type ?? params.type ?? 'default') : 'default';
  if (type === 'default') return { theta };
  if (type !== 'llama3') r.fail(`${where}.rope_type`, `is ${JSON.stringify(type)}, which prefloop does not support`, "supported: 'default' and 'llama3'");
  const num = (k: string): number => {
    const v = params![k];
    if (typeof v !== 'number' || !(v > 0)) r.fail(`${where}.${k}`, `is ${JSON.stringify(v)}`, "a 'llama3' rope_scaling needs a positive number here");
    return v as number;
  };
  const scaling: Llama3RopeScaling = {
    type: 'llama3', factor: num('factor'), lowFreqFactor: num('low_freq_factor'), highFreqFactor: num('high_freq_factor'),
    originalContext: num('original_max_position_embeddings'),
  };
  if (!(scaling.highFreqFactor > scaling.lowFreqFactor)) r.fail(`${where}.high_freq_factor`, 'must be greater than low_freq_factor', 'fix the values');
  return { theta, scaling };
}

function llamaLikeConfig(r: ConfigReader, family: 'llama' | 'qwen2' | 'mistral'): ResolvedModelConfig {
  r.only('hidden_act', ['silu'], 'the SwiGLU MLP uses SiLU');
  const heads = r.int('num_attention_heads');
  const dModel = r.int('hidden_size');
  const maxPositions = r.int('max_position_embeddings');
  const { theta, scaling } = rope(r);
  const attentionBias = family === 'llama' ? r.bool('attention_bias', false) : false;
  const config: ResolvedModelConfig = {
    family,
    vocab: r.int('vocab_size'),
    dModel,
    layers: r.int('num_hidden_layers'),
    heads,
    kvHeads: r.int('num_key_value_heads', heads),
    headDim: r.int('head_dim', dModel / heads),
    intermediate: r.int('intermediate_size'),
    context: maxPositions,
    contextSource: `config.json max_position_embeddings`,
    tiedHead: r.bool('tie_word_embeddings', false),
    normEps: r.num('rms_norm_eps', 1e-6),
    ropeTheta: theta,
    ...(scaling ? { ropeScaling: scaling } : {}),
    qkvBias: family === 'qwen2' ? true : attentionBias,
    outBias: attentionBias,
    mlpBias: family === 'llama' ? r.bool('mlp_bias', false) : false,
    initStd: r.num('initializer_range', 0.02),
  };
  // A sliding window changes nothing while every sequence fits inside it: clamp the context to the window so a
  // longer sequence is refused (named by this field) instead of computed with the wrong attention mask.
  const sliding = family === 'mistral' || (family === 'qwen2' && r.bool('use_sliding_window', false));
  const window = r.json.sliding_window;
  if (sliding && window !== null && window !== undefined) {
    const w = r.int('sliding_window');
    if (w < config.context) {
      config.context = w;
      config.contextSource = `config.json sliding_window: prefloop runs ${family} only on sequences that fit in one attention window`;
    }
  }
  return config;
}

/** config.json (parsed) -> the model config prefloop computes with. `source` names the file in errors. */
export function hfConfigFromJson(json: unknown, source = 'config.json'): ResolvedModelConfig {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new InvalidInputError(`${source}: expected a JSON object (a Hugging Face config.json)`);
  const r = new ConfigReader(json as Json, source);
  const type = r.json.model_type;
  switch (type) {
    case 'gpt2': return gpt2Config(r);
    case 'llama': case 'qwen2': case 'mistral': return llamaLikeConfig(r, type);
    default:
      throw new InvalidInputError(`${source}: model_type ${JSON.stringify(type)} is not supported; prefloop loads ${MODEL_FAMILIES.join(', ')} (Llama 2/3.x, SmolLM, TinyLlama are 'llama'; Qwen2/2.5 are 'qwen2')`);
  }
}

export function isModelFamily(name: unknown): name is ModelFamilyName {
  return (MODEL_FAMILIES as readonly unknown[]).includes(name);
}
