/**
 * Each target token's log-prob under the language-model head, log softmax(hidden @ head^T)[target], computed one
 * vocabulary chunk at a time and differentiated as one op (the fused linear + cross-entropy of Liger and others).
 *
 * Why: the [tokens, vocab] logits and their log-softmax are a training step's largest tensors (at smollm2-135m, 2
 * pairs x 256 tokens: 200 MB each; Qwen2.5's 151,936-token vocabulary triples that), and the composed rule kept one
 * from forward to backward and built three more in backward. Here forward keeps only each token's log-sum-exp and
 * target logit, and backward recomputes one chunk's logits at a time: dlogits = g * (onehot(target) - softmax), so
 *   dhidden = -sum_k (g * softmax_k) @ head_k + g * head[target]
 *   dhead_k = -(g * softmax_k)^T @ hidden,  plus g * hidden scattered onto the target rows.
 * The price is the head's MatMul once more in backward.
 */
import type { Graph, Tensor } from '../onnx';

/** Vocabulary columns per chunk: [1020 tokens, 8192] is 33 MB in float32. */
export const VOCAB_CHUNK = 8192;

/**
 * x, bit for bit, computed only once `deps` are: x + 0 * sum(deps). ORT orders nodes by data dependencies alone;
 * without this, it may run every chunk's MatMul before any chunk's reductions, and all the logits are alive at once.
 */
function after(g: Graph, x: Tensor, deps: Tensor[]): Tensor {
  const total = deps.map((d) => g.reduceSum(d, [], false)).reduce((a, b) => g.add(a, b));
  return g.add(x, g.mul(total, 0));
}

/** hidden [b, s, d], head [vocab, d], targets [b, s] (int64) -> log-probs [b, s]. */
export function targetLogprobs(g: Graph, hidden: Tensor, head: Tensor, targets: Tensor, chunk = VOCAB_CHUNK): Tensor {
  const vocab = head.shape[0];
  const d = head.shape[1];
  if (typeof vocab !== 'number' || typeof d !== 'number') throw new Error(`targetLogprobs: the head's shape must be static, got [${head.shape.join(', ')}]`);
  const ranges: Array<[number, number]> = [];
  for (let o = 0; o < vocab; o += chunk) ranges.push([o, Math.min(vocab, o + chunk)]);
  const idx = g.unsqueeze(targets, [2]); // [b, s, 1]
  // Chunk-local indices in float (exact below 2^24; the graph API does integer arithmetic only through casts).
  const idxF = g.cast(idx, hidden.dtype);
  let hs!: Tensor;
  let ws!: Tensor;
  let lse!: Tensor;
  return g.fused('targetLogprobs', [hidden, head], ([h, w]) => {
    [hs, ws] = [h, w];
    // Online log-sum-exp: a running max and a running sum rescaled to it, chunk after chunk.
    let max: Tensor | undefined;
    let sum: Tensor | undefined;
    let target: Tensor | undefined;
    for (const [o, e] of ranges) {
      const input = sum && target ? after(g, h, [sum, target]) : h;
      const z = g.matmul(input, g.transpose(g.slice(w, [o], [e], [0]), [1, 0])); // [b, s, chunk]
      const chunkMax = g.reduceMax(z, [2], true);
      const nextMax = max ? g.max(max, chunkMax) : chunkMax;
      const chunkSum = g.reduceSum(g.exp(g.sub(z, nextMax)), [2], true);
      sum = sum && max ? g.add(g.mul(sum, g.exp(g.sub(max, nextMax))), chunkSum) : chunkSum;
      max = nextMax;
      const inside = g.and(g.greaterOrEqual(idxF, o), g.less(idxF, e));
      const local = g.cast(g.where(inside, g.sub(idxF, o), 0), 'int64');
      const picked = g.where(inside, g.gatherElements(z, local, 2), 0);
      target = target ? g.add(target, picked) : picked;
    }
    lse = g.add(max!, g.log(sum!));
    return g.squeeze(g.sub(target!, lse), [2]);
  }, (grad, _y, needs) => {
    const gg = g.unsqueeze(grad, [2]); // [b, s, 1]
    const rows = g.reshape(hs, [-1, d]); // [tokens, d]
    let dHidden: Tensor | undefined;
    const dHead: Tensor[] = [];
    let deps: Tensor[] = [];
    for (const [o, e] of ranges) {
      // Explicit steps: not the forward's Slice node, so ORT's CSE does not keep the forward's slices alive.
      const wk = g.slice(ws, [o], [e], [0], [1]);
      const input = deps.length ? after(g, g.distinct(hs), deps) : g.distinct(hs);
      const p = g.mul(g.exp(g.sub(g.matmul(input, g.transpose(wk, [1, 0])), lse)), gg); // g * softmax_k
      deps = [];
      if (needs[0]) {
        const part = g.matmul(p, wk);
        dHidden = dHidden ? g.add(dHidden, part) : part;
        deps.push(dHidden);
      }
      if (needs[1]) {
        dHead.push(g.matmul(g.transpose(g.reshape(p, [-1, e - o]), [1, 0]), rows));
        deps.push(dHead[dHead.length - 1]);
      }
    }
    const onTarget = g.mul(gg, hs); // [b, s, d]
    return [
      needs[0] ? g.sub(g.mul(gg, g.gather(ws, targets, 0)), dHidden!) : null,
      needs[1] ? g.scatterAdd(g.neg(dHead.length === 1 ? dHead[0] : g.concat(dHead, 0)), g.reshape(idx, [-1, 1]), g.reshape(onTarget, [-1, d])) : null,
    ];
  });
}
