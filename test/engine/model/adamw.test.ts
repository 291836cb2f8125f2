/**
 * AdamW + global-norm clipping: several steps of the graph optimizer (the same clipByGlobalNorm / adamw the
 * training graphs use, in float32 as in production) equal a plain TypeScript AdamW fed the same gradients, to 1e-6.
 */
import * as ort from 'onnxruntime-node';
import { Graph } from '../../../engine/onnx';
import { adamw, clipByGlobalNorm, declareOptimizerInputs } from '../../../engine/model/optim';
import { maxAbsDiff, ReferenceAdamW, session, testRandom } from './reference';

const SHAPES = [[3, 4], [5], [2, 2, 3]];
const DECAY = [true, false, true];

function optimizerGraph(): Graph {
  const g = new Graph('adamw_only');
  const p = SHAPES.map((s, i) => g.input(`p${i}`, 'float32', s));
  const grads = SHAPES.map((s, i) => g.input(`g${i}`, 'float32', s));
  const m = SHAPES.map((s, i) => g.input(`m${i}`, 'float32', s));
  const v = SHAPES.map((s, i) => g.input(`v${i}`, 'float32', s));
  const hyper = declareOptimizerInputs(g, 'float32');
  const { norm, coef } = clipByGlobalNorm(g, grads, hyper.maxGradNorm);
  const next = adamw(g, p, grads, m, v, DECAY, hyper, coef);
  g.output(norm, 'grad_norm');
  SHAPES.forEach((_, i) => {
    g.output(next.params[i], `p${i}_out`);
    g.output(next.m[i], `m${i}_out`);
    g.output(next.v[i], `v${i}_out`);
  });
  return g;
}

test('graph AdamW equals a TypeScript AdamW over several steps (1e-6), clipping on and off', async () => {
  const s = await session(optimizerGraph().toBytes());
  const rand = testRandom(7);
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  let params: Float32Array[] = SHAPES.map((sh) => Float32Array.from({ length: size(sh) }, () => (rand() - 0.5) * 0.4));
  let m: Float32Array[] = SHAPES.map((sh) => new Float32Array(size(sh)));
  let v: Float32Array[] = SHAPES.map((sh) => new Float32Array(size(sh)));
  const initial = params.map((p) => Float64Array.from(p));
  const reference = new ReferenceAdamW(params.map((p) => Float64Array.from(p)), DECAY);
  const lr = 0.01;
  const weightDecay = 0.1;
  const maxNorm = 1.0;
  const norms: number[] = [];
  for (let step = 1; step <= 6; step++) {
    // Alternate large and small gradients so both sides of the clipping threshold are exercised.
    const scale = step % 2 === 1 ? 2.0 : 0.05;
    const grads = SHAPES.map((sh) => Float32Array.from({ length: size(sh) }, () => (rand() - 0.5) * scale));
    const feeds: Record<string, ort.Tensor> = {
      lr: new ort.Tensor('float32', Float32Array.of(lr), []),
      step: new ort.Tensor('float32', Float32Array.of(step), []),
      weight_decay: new ort.Tensor('float32', Float32Array.of(weightDecay), []),
      max_grad_norm: new ort.Tensor('float32', Float32Array.of(maxNorm), []),
    };
    SHAPES.forEach((sh, i) => {
      feeds[`p${i}`] = new ort.Tensor('float32', params[i], sh);
      feeds[`g${i}`] = new ort.Tensor('float32', grads[i], sh);
      feeds[`m${i}`] = new ort.Tensor('float32', m[i], sh);
      feeds[`v${i}`] = new ort.Tensor('float32', v[i], sh);
    });
    const out = await s.run(feeds);
    const refNorm = reference.step(grads.map((g) => Float64Array.from(g)), lr, weightDecay, maxNorm);
    const graphNorm = Number((out.grad_norm.data as Float32Array)[0]);
    expect(Math.abs(graphNorm - refNorm)).toBeLessThan(1e-6 * Math.max(1, refNorm));
    norms.push(refNorm);
    params = SHAPES.map((_, i) => out[`p${i}_out`].data as Float32Array);
    m = SHAPES.map((_, i) => out[`m${i}_out`].data as Float32Array);
    v = SHAPES.map((_, i) => out[`v${i}_out`].data as Float32Array);
    SHAPES.forEach((_, i) => {
      expect(maxAbsDiff(params[i], reference.params[i])).toBeLessThan(1e-6);
      expect(maxAbsDiff(m[i], reference.m[i])).toBeLessThan(1e-6);
      expect(maxAbsDiff(v[i], reference.v[i])).toBeLessThan(1e-6);
    });
  }
  expect(norms.some((n) => n > maxNorm)).toBe(true);
  expect(norms.some((n) => n < maxNorm)).toBe(true);
  // Weights really moved (the comparison above is not between two unchanged copies).
  SHAPES.forEach((_, i) => expect(maxAbsDiff(initial[i], params[i])).toBeGreaterThan(1e-2));
  await s.release();
});
