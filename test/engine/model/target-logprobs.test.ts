/**
 * Target-token log-probs under the LM head, computed a vocabulary chunk at a time with a hand-written backward
 * (engine/model/target-logprobs.ts): equal to log softmax(hidden @ head^T) gathered at the targets, and its gradient
 * (recomputing each chunk's logits, plus the target rows' scatter) agrees with finite differences, for one chunk and
 * for chunks that split the vocabulary unevenly with targets on every chunk boundary.
 */
import * as ort from 'onnxruntime-node';
import { Graph } from '../../../engine/onnx';
import { targetLogprobs } from '../../../engine/model/target-logprobs';
import { gradCheck, Rng } from '../onnx/gradcheck';

const TARGETS = [0, 3, 4, 9, 7, 5]; // vocabulary 10 in chunks of 4: [0, 4), [4, 8), [8, 10)

describe.each([[4, 'three uneven chunks'], [16, 'one chunk']] as const)('chunk %i (%s)', (chunk: number, _what: string) => {
  test('gradients of hidden and head agree with finite differences (float64)', async () => {
    const r = await gradCheck({
      params: { h: [2, 3, 5], w: [10, 5] },
      build: (g, p) => targetLogprobs(g, p.h, p.w, g.constant(TARGETS, 'int64', [2, 3]), chunk),
    });
    if (r.worst > 1) throw new Error(`gradient mismatch at ${r.where} (score ${r.worst.toFixed(2)})`);
    expect(r.maxAbsGrad).toBeGreaterThan(1e-3);
  });

  test('values equal the composed log-softmax of the logits at the targets (float32)', async () => {
    const rng = new Rng(5);
    const h = Float32Array.from(rng.array(2 * 3 * 5, -2, 2));
    const w = Float32Array.from(rng.array(10 * 5, -2, 2));
    const run = async (build: (g: Graph, hT: ReturnType<Graph['input']>, wT: ReturnType<Graph['input']>) => ReturnType<Graph['input']>) => {
      const g = new Graph();
      const hT = g.input('h', 'float32', [2, 3, 5]);
      const wT = g.input('w', 'float32', [10, 5]);
      g.output(build(g, hT, wT), 'y');
      const s = await ort.InferenceSession.create(g.toBytes());
      const out = await s.run({ h: new ort.Tensor('float32', h, [2, 3, 5]), w: new ort.Tensor('float32', w, [10, 5]) });
      return Array.from(out.y.data as Float32Array);
    };
    const targets = (g: Graph) => g.constant(TARGETS, 'int64', [2, 3]);
    const chunked = await run((g, hT, wT) => targetLogprobs(g, hT, wT, targets(g), chunk));
    const composed = await run((g, hT, wT) => g.squeeze(g.gatherElements(g.logSoftmax(g.matmul(hT, g.transpose(wT, [1, 0])), 2), g.unsqueeze(targets(g), [2]), 2), [2]));
    expect(chunked).toHaveLength(6);
    chunked.forEach((v, i) => expect(Math.abs(v - composed[i])).toBeLessThan(1e-5));
    expect(Math.max(...chunked.map(Math.abs))).toBeGreaterThan(0.1);
  });
});
