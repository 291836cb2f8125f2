/**
 * Llama (Llama 2 / 3.x, SmolLM / SmolLM2, TinyLlama) as transformers' modeling_llama.py computes it: token
 * embedding, pre-RMSNorm blocks of grouped-query attention with rotary position embeddings (rope_theta, optional
 * 'llama3' rope_scaling) and a SwiGLU MLP, a final RMSNorm, tied or untied head. Weights are nn.Linear [out, in]
 * (x @ W^T), names as transformers writes them. qwen2.ts and mistral.ts are this trunk with their own options.
 */
import type { Graph, Tensor } from '../onnx';
import { InvalidInputError } from '../errors';
import type { ModelFamilyName, ResolvedModelConfig } from './api';
import { attention, headDim, kvHeads, param, type DecoderFamily, type LayerCache, type ParamSpec, type Params } from './decoder';

const INIT_STD = 0.02;

/** x @ W^T (+ b): nn.Linear. */
function linear(g: Graph, x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const y = g.matmul(x, g.transpose(weight, [1, 0]));
  return bias ? g.add(y, bias) : y;
}

/**
 * Rotary inverse frequencies, as transformers' rope init functions compute them ('default' and 'llama3'), in
 * float32 like torch: inv_freq[i] = 1 / theta^(2i / headDim).
 */
export function inverseFrequencies(config: ResolvedModelConfig): Float32Array {
  const hd = headDim(config);
  const theta = config.ropeTheta ?? 10000;
  const inv = new Float32Array(hd / 2);
  for (let i = 0; i < hd / 2; i++) inv[i] = 1 / Math.pow(theta, Math.fround((2 * i) / hd));
  const s = config.ropeScaling;
  if (!s) return inv;
  // _compute_llama3_parameters: long wavelengths slowed by `factor`, short ones kept, a smooth blend in between.
  const lowWavelen = s.originalContext / s.lowFreqFactor;
  const highWavelen = s.originalContext / s.highFreqFactor;
  for (let i = 0; i < inv.length; i++) {
    const wavelen = (2 * Math.PI) / inv[i];
    let f = wavelen > lowWavelen ? inv[i] / s.factor : inv[i];
    const smooth = (s.originalContext / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    const medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
    if (medium) f = (1 - smooth) * (f / s.factor) + smooth * f;
    inv[i] = f;
  }
  return inv;
}

/** cos and sin of position * inv_freq, duplicated over both halves: [batch, 1, seq, headDim] each. */
function rotary(g: Graph, config: ResolvedModelConfig, positionIds: Tensor, dtype: Tensor['dtype']): { cos: Tensor; sin: Tensor } {
  const inv = g.constant(Array.from(inverseFrequencies(config)), dtype, [headDim(config) / 2]);
  const freqs = g.mul(g.unsqueeze(g.cast(positionIds, dtype), [2]), inv); // [b, s, hd/2]
  const emb = g.unsqueeze(g.concat([freqs, freqs], 2), [1]); // [b, 1, s, hd]
  return { cos: g.cos(emb), sin: g.sin(emb) };
}

/** x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1] over the halves of the head dim. */
function applyRotary(g: Graph, x: Tensor, cos: Tensor, sin: Tensor, hd: number): Tensor {
  const x1 = g.slice(x, [0], [hd / 2], [3]);
  const x2 = g.slice(x, [hd / 2], [hd], [3]);
  return g.add(g.mul(x, cos), g.mul(g.concat([g.neg(x2), x1], 3), sin));
}

/** A llama-like family: llama itself, qwen2 and mistral differ only in their options (read from config.json). */
export function llamaLike(name: ModelFamilyName, validateMore: (config: ResolvedModelConfig) => void = () => undefined): DecoderFamily {
  return {
    name,
    embedding: 'model.embed_tokens.weight',

    params(config: ResolvedModelConfig): ParamSpec[] {
      const { vocab, dModel: d, layers, heads } = config;
      const std = config.initStd ?? INIT_STD;
      const hd = headDim(config);
      const kv = kvHeads(config);
      const inner = config.intermediate ?? 4 * d;
      const matrix = (n: string, shape: number[]): ParamSpec => ({ name: n, shape, init: 'normal', std, decay: true });
      const bias = (n: string, size: number): ParamSpec => ({ name: n, shape: [size], init: 'zeros', std: 0, decay: false });
      const gain = (n: string, size: number): ParamSpec => ({ name: n, shape: [size], init: 'ones', std: 0, decay: false });
      const specs: ParamSpec[] = [matrix('model.embed_tokens.weight', [vocab, d])];
      for (let l = 0; l < layers; l++) {
        const p = `model.layers.${l}`;
        specs.push(gain(`${p}.input_layernorm.weight`, d));
        for (const [proj, out] of [['q_proj', heads * hd], ['k_proj', kv * hd], ['v_proj', kv * hd]] as const) {
          specs.push(matrix(`${p}.self_attn.${proj}.weight`, [out, d]));
          if (config.qkvBias) specs.push(bias(`${p}.self_attn.${proj}.bias`, out));
        }
        specs.push(matrix(`${p}.self_attn.o_proj.weight`, [d, heads * hd]));
        if (config.outBias) specs.push(bias(`${p}.self_attn.o_proj.bias`, d));
        specs.push(gain(`${p}.post_attention_layernorm.weight`, d));
        for (const [proj, shape] of [['gate_proj', [inner, d]], ['up_proj', [inner, d]], ['down_proj', [d, inner]]] as const) {
          specs.push(matrix(`${p}.mlp.${proj}.weight`, [...shape]));
          if (config.mlpBias) specs.push(bias(`${p}.mlp.${proj}.bias`, shape[0]));
        }
      }
      specs.push(gain('model.norm.weight', d));
      return specs;
    },

    validate(config: ResolvedModelConfig): void {
      const hd = headDim(config);
      const kv = kvHeads(config);
      if (!Number.isInteger(hd) || hd < 2 || hd % 2 !== 0) {
        throw new InvalidInputError(`model config (${name}): the head dim must be an even integer for rotary embeddings, got ${hd}; set head_dim or make hidden_size / num_attention_heads even`);
      }
      if (!Number.isInteger(kv) || kv < 1 || config.heads % kv !== 0) {
        throw new InvalidInputError(`model config (${name}): num_key_value_heads (${kv}) must divide num_attention_heads (${config.heads})`);
      }
      validateMore(config);
    },

    trunk(g, config, params: Params, inputIds, positionIds, bias, past?: LayerCache[]) {
      const { heads, layers } = config;
      const hd = headDim(config);
      const kv = kvHeads(config);
      const eps = config.normEps ?? 1e-5;
      const p = (n: string) => param(params, n);
      const b = (n: string) => params.get(n);
      const dtype = p('model.embed_tokens.weight').dtype;
      const { cos, sin } = rotary(g, config, positionIds, dtype);
      const splitHeads = (t: Tensor, n: number) => g.transpose(g.reshape(t, [0, 0, n, hd]), [0, 2, 1, 3]);
      let x = g.gather(p('model.embed_tokens.weight'), inputIds, 0);
      const present: LayerCache[] = [];
      for (let l = 0; l < layers; l++) {
        const pre = `model.layers.${l}`;
        const attn = `${pre}.self_attn`;
        const h = g.rmsNorm(x, p(`${pre}.input_layernorm.weight`), eps);
        const q = applyRotary(g, splitHeads(linear(g, h, p(`${attn}.q_proj.weight`), b(`${attn}.q_proj.bias`)), heads), cos, sin, hd);
        let k = applyRotary(g, splitHeads(linear(g, h, p(`${attn}.k_proj.weight`), b(`${attn}.k_proj.bias`)), kv), cos, sin, hd);
        let v = splitHeads(linear(g, h, p(`${attn}.v_proj.weight`), b(`${attn}.v_proj.bias`)), kv);
        if (past) {
          k = g.concat([past[l].key, k], 2);
          v = g.concat([past[l].value, v], 2);
        }
        present.push({ key: k, value: v });
        x = g.add(x, linear(g, attention(g, config, q, k, v, bias), p(`${attn}.o_proj.weight`), b(`${attn}.o_proj.bias`)));
        const h2 = g.rmsNorm(x, p(`${pre}.post_attention_layernorm.weight`), eps);
        const gate = linear(g, h2, p(`${pre}.mlp.gate_proj.weight`), b(`${pre}.mlp.gate_proj.bias`));
        const up = linear(g, h2, p(`${pre}.mlp.up_proj.weight`), b(`${pre}.mlp.up_proj.bias`));
        x = g.add(x, linear(g, g.siluMul(gate, up), p(`${pre}.mlp.down_proj.weight`), b(`${pre}.mlp.down_proj.bias`)));
      }
      return { hidden: g.rmsNorm(x, p('model.norm.weight'), eps), present };
    },
  };
}

export const llama = llamaLike('llama');
