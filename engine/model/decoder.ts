/**
 * What every decoder family shares: the parameter and cache types, the attention bias, and the contract a family
 * file (gpt2.ts, llama.ts, qwen2.ts, mistral.ts) fulfils. A family says which parameters it has and how its trunk
 * maps token ids to final hidden states; gpt.ts adds the heads and graphs.ts builds decode, scoring and training
 * graphs from any family the same way.
 */
import type { Graph, Tensor } from '../onnx';
import type { ModelFamilyName, ResolvedModelConfig } from './api';

export type Head = 'lm' | 'scalar';
export type FloatType = 'float32' | 'float64';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Init: 'normal' draws N(0, std); 'zeros' / 'ones' are constants. */
  init: 'normal' | 'zeros' | 'ones';
  std: number;
  /** AdamW decays matrices and embeddings only; biases and norm gains are left alone (nanoGPT / HF). */
  decay: boolean;
}

/** Graph handles of every parameter, by name. */
export type Params = Map<string, Tensor>;

export interface LayerCache { key: Tensor; value: Tensor }

export interface TrunkOutput {
  /** Final-norm hidden states [batch, seq, dModel]. */
  hidden: Tensor;
  /** Keys / values of every layer over past + current positions [batch, kvHeads, past+seq, headDim]. */
  present: LayerCache[];
}

export interface DecoderFamily {
  readonly name: ModelFamilyName;
  /** Name of the token embedding [vocab, dModel] (the tied head reuses it). */
  readonly embedding: string;
  /** The trunk's parameters (embeddings, blocks, final norm), in checkpoint order; the heads come from gpt.ts. */
  params(config: ResolvedModelConfig): ParamSpec[];
  /** Checks the family's own fields; throws InvalidInputError naming the field. */
  validate(config: ResolvedModelConfig): void;
  /**
   * Token ids -> final hidden states. `past` (one cache per layer) is given only by the decode graph; training and
   * scoring graphs run the whole sequence at once. `bias` is attentionBias(): [batch, 1, query, key].
   */
  trunk(g: Graph, config: ResolvedModelConfig, params: Params, inputIds: Tensor, positionIds: Tensor, bias: Tensor, past?: LayerCache[]): TrunkOutput;
}

/** Per-head width: config.json's head_dim where given, else dModel / heads. */
export function headDim(config: ResolvedModelConfig): number {
  return config.headDim ?? config.dModel / config.heads;
}

/** Key/value heads (the KV cache's head count). */
export function kvHeads(config: ResolvedModelConfig): number {
  return config.kvHeads ?? config.heads;
}

export function param(params: Params, name: string): Tensor {
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

/**
 * Scaled dot-product attention with grouped-query heads, without copying keys and values per query head:
 * q [b, heads, s, hd] is viewed as [b, kvHeads, (heads / kvHeads) * s, hd] so each key/value head serves its group
 * of query heads in one MatMul (the head order of Hugging Face's repeat_kv: query head h uses kv head
 * h / (heads / kvHeads)). Returns [b, s, heads * hd].
 *
 * softmax(q k^T + bias) v is differentiated as one op whose backward recomputes the probabilities from q and k, as
 * flash attention does: keeping them from the forward would hold a [b, heads, s, key] tensor per layer from forward
 * to backward, the largest activation of a layer once s passes the model width. The recomputation is one more
 * q k^T and softmax per layer.
 */
export function attention(g: Graph, config: ResolvedModelConfig, q: Tensor, k: Tensor, v: Tensor, bias: Tensor): Tensor {
  const heads = config.heads;
  const kv = kvHeads(config);
  const hd = headDim(config);
  const keysLast = (t: Tensor) => g.transpose(t, [0, 1, 3, 2]);
  // Scaling q (not the scores) keeps the scaled tensor small: [b, h, s, hd] instead of [b, h, s, key].
  const qs = g.mul(q, 1 / Math.sqrt(hd));
  // The bias is laid out per query head; grouped scores are viewed per head for it and back for the product with v.
  const probsOf = (qq: Tensor, kk: Tensor): Tensor => kv === heads
    ? g.softmax(g.add(g.matmul(qq, keysLast(kk)), bias), -1)
    : g.reshape(g.softmax(g.add(g.reshape(g.matmul(qq, keysLast(kk)), [0, heads, -1, 0]), bias), -1), [0, kv, -1, 0]);
  const grouped = kv === heads ? qs : g.reshape(qs, [0, kv, -1, hd]); // [b, kv, group * s, hd]
  let qd!: Tensor;
  let kd!: Tensor;
  let vd!: Tensor;
  const out = g.fused('attention', [grouped, k, v], ([a, b, c]) => {
    [qd, kd, vd] = [a, b, c];
    return g.matmul(probsOf(a, b), c);
  }, (dOut, _y, needs) => {
    const p = probsOf(g.distinct(qd), kd);
    const dP = g.matmul(dOut, keysLast(vd));
    const dScores = g.mul(p, g.sub(dP, g.reduceSum(g.mul(dP, p), [3], true)));
    return [
      needs[0] ? g.matmul(dScores, kd) : null,
      needs[1] ? g.matmul(keysLast(dScores), qd) : null,
      needs[2] ? g.matmul(keysLast(p), dOut) : null,
    ];
  });
  const attended = kv === heads ? out : g.reshape(out, [0, heads, -1, hd]); // [b, heads, s, hd]
  return g.reshape(g.transpose(attended, [0, 2, 1, 3]), [0, 0, heads * hd]);
}
