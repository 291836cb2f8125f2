/** Gradient checks of composed graphs (float64, central differences) and autodiff bookkeeping. */
import * as ort from 'onnxruntime-node';
import { Graph, Tensor } from '../../../engine/onnx';
import { gradCheck, Rng } from './gradcheck';

/** Mean token cross-entropy of logits [n, v] against int64 labels [n]. */
function crossEntropy(g: Graph, logits: Tensor, labels: Tensor): Tensor {
  const logp = g.logSoftmax(logits, -1);
  const picked = g.gatherElements(logp, g.unsqueeze(labels, [1]), 1);
  return g.neg(g.reduceMean(picked, []));
}

describe('composed gradients match central finite differences (float64)', () => {
  test('2-layer MLP with cross-entropy', async () => {
    const rng = new Rng(11);
    const r = await gradCheck({
      params: { w1: [3, 5], b1: [5], w2: [5, 4], b2: [4] },
      build: (g, p) => {
        const x = g.constant(rng.array(4 * 3), 'float64', [4, 3]);
        const labels = g.constant([0, 3, 1, 3], 'int64', [4]);
        const h = g.gelu(g.add(g.matmul(x, p.w1), p.b1));
        return crossEntropy(g, g.add(g.matmul(h, p.w2), p.b2), labels);
      },
    });
    expect(r.worst).toBeLessThanOrEqual(1);
    expect(r.maxAbsGrad).toBeGreaterThan(1e-3);
  });

  test('causal multi-head attention block with pre-LayerNorm, residual and embedding', async () => {
    const [b, t, d, h] = [2, 3, 4, 2];
    const dh = d / h;
    const r = await gradCheck({
      params: { embed: [5, d], pos: [t, d], ln_s: [d], ln_b: [d], wq: [d, d], wk: [d, d], wv: [d, d], wo: [d, d] },
      build: (g, p) => {
        const tokens = g.constant([1, 4, 4, 0, 2, 1], 'int64', [b, t]);
        const x = g.add(g.gather(p.embed, tokens), p.pos);
        const n = g.layerNorm(x, p.ln_s, p.ln_b);
        const heads = (w: Tensor): Tensor => g.transpose(g.reshape(g.matmul(n, w), [b, t, h, dh]), [0, 2, 1, 3]);
        const [q, k, v] = [heads(p.wq), heads(p.wk), heads(p.wv)];
        const scores = g.div(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), Math.sqrt(dh));
        const causal = g.constant([1, 0, 0, 1, 1, 0, 1, 1, 1], 'bool', [t, t]);
        const att = g.softmax(g.where(causal, scores, -1e4), -1);
        const o = g.reshape(g.transpose(g.matmul(att, v), [0, 2, 1, 3]), [b, t, d]);
        return g.add(x, g.matmul(o, p.wo));
      },
    });
    expect(r.worst).toBeLessThanOrEqual(1);
    expect(r.maxAbsGrad).toBeGreaterThan(1e-3);
  });

  test('sequence log-prob with masked padding and a DPO-style sigmoid loss', async () => {
    const r = await gradCheck({
      params: { logits: [2, 2, 3, 5] },
      build: (g, p) => {
        // [pair(chosen/rejected), batch, time, vocab] -> per-sequence masked log-prob sums.
        const targets = g.constant([1, 2, 0, 4, 4, 3, 0, 0, 1, 2, 3, 4], 'int64', [2, 2, 3, 1]);
        const mask = g.constant([1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1], 'float64', [2, 2, 3]);
        const logp = g.squeeze(g.gatherElements(g.logSoftmax(p.logits, -1), targets, 3), [3]);
        const seq = g.reduceSum(g.mul(logp, mask), [2]);
        const chosen = g.squeeze(g.slice(seq, [0], [1], [0]), [0]);
        const rejected = g.squeeze(g.slice(seq, [1], [2], [0]), [0]);
        return g.neg(g.reduceMean(g.logSigmoid(g.mul(g.sub(chosen, rejected), 0.1)), []));
      },
    });
    expect(r.worst).toBeLessThanOrEqual(1);
  });
});

describe('autodiff bookkeeping', () => {
  async function run(g: Graph, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    return (await ort.InferenceSession.create(g.toBytes())).run(feeds);
  }

  test('stopGradient blocks the gradient; unused params get zeros; requested order is kept', async () => {
    const g = new Graph();
    const x = g.param('x', [3], 'float64');
    const unused = g.param('unused', ['n', 2], 'float64');
    const unusedScalar = g.param('unused_scalar', [], 'float64');
    const loss = g.reduceSum(g.mul(x, g.stopGradient(x)), []);
    const [gUnused, gx, gScalar] = g.grad(loss, [unused, x, unusedScalar]);
    g.output(gx, 'gx');
    g.output(gUnused, 'gu');
    g.output(gScalar, 'gs');
    const r = await run(g, {
      x: new ort.Tensor('float64', Float64Array.from([1, -2, 3]), [3]),
      unused: new ort.Tensor('float64', new Float64Array(6).fill(5), [3, 2]),
      unused_scalar: new ort.Tensor('float64', Float64Array.from([2]), []),
    });
    expect(r.gs.dims).toEqual([]);
    expect(r.gs.data[0]).toBe(0);
    // d/dx sum(x * const(x)) = x, not 2x.
    expect(Array.from(r.gx.data as Float64Array)).toEqual([1, -2, 3]);
    expect(r.gu.dims).toEqual([3, 2]);
    expect(Array.from(r.gu.data as Float64Array)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test('branches that do not reach the loss emit no backward nodes', () => {
    const g = new Graph();
    const x = g.param('x', [3], 'float64');
    const loss = g.reduceSum(g.exp(x), []);
    g.exp(g.tanh(x)); // dead branch
    const before = g.tape.length;
    g.grad(loss, [x]);
    const emitted = g.tape.slice(before).map((e) => e.op);
    expect(emitted).not.toContain('Tanh');
    expect(emitted.filter((op) => op === 'Exp')).toHaveLength(0);
    expect(emitted).toContain('Expand');
  });

  test('float32 training-style graph: one session serves new weights each step and loss falls', async () => {
    const g = new Graph('sgd');
    const x = g.input('x', 'float32', ['batch', 2]);
    const y = g.input('y', 'float32', ['batch']);
    const w = g.param('w', [2]);
    const lr = g.input('lr', 'float32', []);
    const err = g.sub(g.matmul(x, w), y);
    const loss = g.reduceMean(g.mul(err, err), []);
    const [gw] = g.grad(loss, [w]);
    g.output(loss, 'loss');
    g.output(g.sub(w, g.mul(gw, lr)), 'w_next');
    const s = await ort.InferenceSession.create(g.toBytes());
    const xs = new ort.Tensor('float32', Float32Array.from([1, 0, 0, 1, 1, 1]), [3, 2]);
    const ys = new ort.Tensor('float32', Float32Array.from([2, -1, 1]), [3]);
    let weights: ort.Tensor = new ort.Tensor('float32', new Float32Array(2), [2]);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await s.run({ x: xs, y: ys, w: weights, lr: new ort.Tensor('float32', Float32Array.from([0.3]), []) });
      losses.push(r.loss.data[0] as number);
      weights = r.w_next;
    }
    expect(losses[29]).toBeLessThan(1e-3);
    expect(Array.from(weights.data as Float32Array).map((v) => Math.round(v * 100) / 100)).toEqual([2, -1]);
  });
});
