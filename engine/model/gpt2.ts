/**
 * GPT-2 (nanoGPT / Hugging Face GPT2LMHeadModel layout), the built-in decoder: learned token and position
 * embeddings, pre-LayerNorm blocks of causal multi-head self-attention and a gelu_new MLP, a final LayerNorm.
 * Weights are Conv1D-style [in, out] (x @ W), q/k/v fused in `c_attn`, names as transformers writes them.
 */
import { InvalidInputError } from '../errors';
import type { ResolvedModelConfig } from './api';
import { attention, headDim, param, type DecoderFamily, type LayerCache, type ParamSpec } from './decoder';

const INIT_STD = 0.02;

export const gpt2: DecoderFamily = {
  name: 'gpt2',
  embedding: 'transformer.wte.weight',

  params(config: ResolvedModelConfig): ParamSpec[] {
    const { vocab, dModel: d, layers, context } = config;
    const std = config.initStd ?? INIT_STD;
    const inner = config.intermediate ?? 4 * d;
    // GPT-2 scales the residual projections by 1/sqrt(2 * layers) so the residual stream stays O(1) at init.
    const residualStd = std / Math.sqrt(2 * layers);
    const matrix = (name: string, shape: number[], s = std): ParamSpec => ({ name, shape, init: 'normal', std: s, decay: true });
    const bias = (name: string, n: number): ParamSpec => ({ name, shape: [n], init: 'zeros', std: 0, decay: false });
    const gain = (name: string, n: number): ParamSpec => ({ name, shape: [n], init: 'ones', std: 0, decay: false });
    const specs: ParamSpec[] = [matrix('transformer.wte.weight', [vocab, d]), matrix('transformer.wpe.weight', [context, d])];
    for (let l = 0; l < layers; l++) {
      const p = `transformer.h.${l}`;
      specs.push(
        gain(`${p}.ln_1.weight`, d), bias(`${p}.ln_1.bias`, d),
        matrix(`${p}.attn.c_attn.weight`, [d, 3 * d]), bias(`${p}.attn.c_attn.bias`, 3 * d),
        matrix(`${p}.attn.c_proj.weight`, [d, d], residualStd), bias(`${p}.attn.c_proj.bias`, d),
        gain(`${p}.ln_2.weight`, d), bias(`${p}.ln_2.bias`, d),
        matrix(`${p}.mlp.c_fc.weight`, [d, inner]), bias(`${p}.mlp.c_fc.bias`, inner),
        matrix(`${p}.mlp.c_proj.weight`, [inner, d], residualStd), bias(`${p}.mlp.c_proj.bias`, d),
      );
    }
    specs.push(gain('transformer.ln_f.weight', d), bias('transformer.ln_f.bias', d));
    return specs;
  },

  validate(config: ResolvedModelConfig): void {
    if (config.dModel % config.heads !== 0) {
      throw new InvalidInputError(`model config: dModel (${config.dModel}) must be divisible by heads (${config.heads}); choose heads that divide dModel`);
    }
    if (config.kvHeads !== undefined && config.kvHeads !== config.heads) throw new InvalidInputError('model config: gpt2 has no grouped-query attention (kvHeads must equal heads)');
    if (config.headDim !== undefined && config.headDim * config.heads !== config.dModel) throw new InvalidInputError('model config: gpt2 needs headDim * heads = dModel');
  },

  trunk(g, config, params, inputIds, positionIds, bias, past?: LayerCache[]) {
    const { dModel: d, heads, layers } = config;
    const hd = headDim(config);
    const eps = config.normEps ?? 1e-5;
    const p = (name: string) => param(params, name);
    let x = g.add(g.gather(p('transformer.wte.weight'), inputIds, 0), g.gather(p('transformer.wpe.weight'), positionIds, 0));
    const splitHeads = (t: ReturnType<typeof g.add>) => g.transpose(g.reshape(t, [0, 0, heads, hd]), [0, 2, 1, 3]);
    const present: LayerCache[] = [];
    for (let l = 0; l < layers; l++) {
      const pre = `transformer.h.${l}`;
      const h = g.layerNorm(x, p(`${pre}.ln_1.weight`), p(`${pre}.ln_1.bias`), eps);
      const qkv = g.add(g.matmul(h, p(`${pre}.attn.c_attn.weight`)), p(`${pre}.attn.c_attn.bias`));
      const q = splitHeads(g.slice(qkv, [0], [d], [2]));
      let k = splitHeads(g.slice(qkv, [d], [2 * d], [2]));
      let v = splitHeads(g.slice(qkv, [2 * d], [3 * d], [2]));
      if (past) {
        k = g.concat([past[l].key, k], 2);
        v = g.concat([past[l].value, v], 2);
      }
      present.push({ key: k, value: v });
      const merged = attention(g, config, q, k, v, bias);
      x = g.add(x, g.add(g.matmul(merged, p(`${pre}.attn.c_proj.weight`)), p(`${pre}.attn.c_proj.bias`)));
      const h2 = g.layerNorm(x, p(`${pre}.ln_2.weight`), p(`${pre}.ln_2.bias`), eps);
      const fc = g.gelu(g.add(g.matmul(h2, p(`${pre}.mlp.c_fc.weight`)), p(`${pre}.mlp.c_fc.bias`)));
      x = g.add(x, g.add(g.matmul(fc, p(`${pre}.mlp.c_proj.weight`)), p(`${pre}.mlp.c_proj.bias`)));
    }
    return { hidden: g.layerNorm(x, p('transformer.ln_f.weight'), p('transformer.ln_f.bias'), eps), present };
  },
};
