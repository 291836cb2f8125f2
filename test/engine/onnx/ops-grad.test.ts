/**
 * Gradient check of every differentiable op against central finite differences, in float64
 * (eps 1e-6; truncation error ~eps^2 and round-off ~1e-16/eps, far below the 1e-6 relative tolerance).
 */
import * as ort from 'onnxruntime-node';
import { Graph, Tensor } from '../../../engine/onnx';
import { GradCheckCase, gradCheck, Rng } from './gradcheck';

const pos: [number, number] = [0.5, 2];
const idx = (g: Graph, v: number[], shape: number[]): Tensor => g.constant(v, 'int64', shape);

const cases: Record<string, GradCheckCase> = {
  'add [2,3,4] + [4]': { params: { a: [2, 3, 4], b: [4] }, build: (g, p) => g.add(p.a, p.b) },
  'add [2,3,4] + [2,1,4]': { params: { a: [2, 3, 4], b: [2, 1, 4] }, build: (g, p) => g.add(p.a, p.b) },
  'add [3,1] + [1,4] (both broadcast)': { params: { a: [3, 1], b: [1, 4] }, build: (g, p) => g.add(p.a, p.b) },
  'add tensor + number': { params: { a: [2, 3] }, build: (g, p) => g.add(p.a, 2.5) },
  'sub [2,3] - [3]': { params: { a: [2, 3], b: [3] }, build: (g, p) => g.sub(p.a, p.b) },
  'sub number - tensor': { params: { a: [2, 3] }, build: (g, p) => g.sub(1, p.a) },
  'mul [2,3,4] * [2,1,4]': { params: { a: [2, 3, 4], b: [2, 1, 4] }, build: (g, p) => g.mul(p.a, p.b) },
  'mul x * x (reuse accumulates)': { params: { a: [2, 3] }, build: (g, p) => g.mul(p.a, p.a) },
  'div [2,3] / [3]': { params: { a: [2, 3], b: { shape: [3], range: pos } }, build: (g, p) => g.div(p.a, p.b) },
  neg: { params: { a: [2, 3] }, build: (g, p) => g.neg(p.a) },
  exp: { params: { a: [2, 3] }, build: (g, p) => g.exp(p.a) },
  log: { params: { a: { shape: [2, 3], range: pos } }, build: (g, p) => g.log(p.a) },
  sqrt: { params: { a: { shape: [2, 3], range: pos } }, build: (g, p) => g.sqrt(p.a) },
  'pow tensor ^ tensor [3]': { params: { a: { shape: [2, 3], range: pos }, b: [3] }, build: (g, p) => g.pow(p.a, p.b) },
  'pow tensor ^ 3': { params: { a: [2, 3] }, build: (g, p) => g.pow(p.a, 3) },
  tanh: { params: { a: [2, 3] }, build: (g, p) => g.tanh(p.a) },
  sigmoid: { params: { a: [2, 3] }, build: (g, p) => g.sigmoid(p.a) },
  softplus: { params: { a: { shape: [2, 4], range: [-4, 4] } }, build: (g, p) => g.softplus(p.a) },
  logSigmoid: { params: { a: { shape: [2, 4], range: [-4, 4] } }, build: (g, p) => g.logSigmoid(p.a) },
  relu: { params: { a: [3, 4] }, build: (g, p) => g.relu(p.a) },
  gelu: { params: { a: { shape: [3, 4], range: [-3, 3] } }, build: (g, p) => g.gelu(p.a) },
  abs: { params: { a: [3, 4] }, build: (g, p) => g.abs(p.a) },
  'max [2,3] vs [3]': { params: { a: [2, 3], b: [3] }, build: (g, p) => g.max(p.a, p.b) },
  'min [2,3] vs [3]': { params: { a: [2, 3], b: [3] }, build: (g, p) => g.min(p.a, p.b) },
  'clip [-0.3, 0.4]': { params: { a: [3, 4] }, build: (g, p) => g.clip(p.a, -0.3, 0.4) },
  'clip upper only': { params: { a: [3, 4] }, build: (g, p) => g.clip(p.a, undefined, 0.2) },
  'matmul [3,4] x [4,5]': { params: { a: [3, 4], b: [4, 5] }, build: (g, p) => g.matmul(p.a, p.b) },
  'matmul [2,3,4] x [4,5] (weight broadcast)': { params: { a: [2, 3, 4], b: [4, 5] }, build: (g, p) => g.matmul(p.a, p.b) },
  'matmul [b,h,t,d] x [b,h,d,t]': { params: { a: [2, 2, 3, 4], b: [2, 2, 4, 3] }, build: (g, p) => g.matmul(p.a, p.b) },
  'matmul [2,1,3,4] x [3,4,2] (batch broadcast)': { params: { a: [2, 1, 3, 4], b: [3, 4, 2] }, build: (g, p) => g.matmul(p.a, p.b) },
  'matmul [4] x [4,5]': { params: { a: [4], b: [4, 5] }, build: (g, p) => g.matmul(p.a, p.b) },
  'matmul [2,3,4] x [4]': { params: { a: [2, 3, 4], b: [4] }, build: (g, p) => g.matmul(p.a, p.b) },
  'matmul [4] x [4]': { params: { a: [4], b: [4] }, build: (g, p) => g.matmul(p.a, p.b) },
  'matmul symbolic batch [b,t,4] x [4,3]': {
    params: { a: { shape: ['b', 't', 4], dims: [2, 3, 4] }, b: [4, 3] }, outDims: [2, 3, 3], build: (g, p) => g.matmul(p.a, p.b),
  },
  layerNorm: { params: { x: [2, 3, 5], scale: [5], bias: [5] }, build: (g, p) => g.layerNorm(p.x, p.scale, p.bias) },
  'rmsNorm (hand-written backward)': { params: { x: [2, 3, 5], w: [5] }, build: (g, p) => g.rmsNorm(p.x, p.w, 1e-5) },
  'siluMul (hand-written backward)': { params: { a: { shape: [3, 4], range: [-4, 4] }, b: [3, 4] }, build: (g, p) => g.siluMul(p.a, p.b) },
  'layerNorm without bias': { params: { x: [4, 3], scale: [3] }, build: (g, p) => g.layerNorm(p.x, p.scale, null, 1e-3) },
  'softmax axis -1': { params: { x: [2, 3, 4] }, build: (g, p) => g.softmax(p.x) },
  'softmax axis 1': { params: { x: [2, 3, 4] }, build: (g, p) => g.softmax(p.x, 1) },
  'logSoftmax axis -1': { params: { x: [2, 3, 4] }, build: (g, p) => g.logSoftmax(p.x) },
  'logSoftmax axis 0': { params: { x: [3, 2] }, build: (g, p) => g.logSoftmax(p.x, 0) },
  'gather axis 0 (embedding, repeated ids)': { params: { e: [5, 3] }, build: (g, p) => g.gather(p.e, idx(g, [0, 2, 2, 4, 0, 1], [2, 3])) },
  'gather axis 1': { params: { d: [2, 5, 3] }, build: (g, p) => g.gather(p.d, idx(g, [4, 1, 4], [3]), 1) },
  'gather scalar index (rank-0)': { params: { d: [2, 3] }, build: (g, p) => g.gather(p.d, g.scalar(1, 'int64')) },
  'gather scalar index axis 1': { params: { d: [2, 3] }, build: (g, p) => g.gather(p.d, g.scalar(2, 'int64'), 1) },
  'gather int32 indices': { params: { e: [4, 2] }, build: (g, p) => g.gather(p.e, g.constant([3, 3, 0], 'int32', [3])) },
  'gatherElements axis 1': { params: { d: [3, 4] }, build: (g, p) => g.gatherElements(p.d, idx(g, [0, 3, 1, 1, 2, 0], [3, 2]), 1) },
  'gatherLogSoftmax (target log-probs, hand-written backward)': {
    params: { x: [2, 3, 5] }, build: (g, p) => g.gatherLogSoftmax(p.x, idx(g, [0, 4, 2, 1, 1, 3], [2, 3, 1])),
  },
  'reshape [2,3,4] -> [6,-1]': { params: { x: [2, 3, 4] }, build: (g, p) => g.reshape(p.x, [6, -1]) },
  'reshape symbolic [b,3,4] -> [b,12]': {
    params: { x: { shape: ['b', 3, 4], dims: [2, 3, 4] } }, outDims: [2, 12], build: (g, p) => g.reshape(p.x, ['b', 12]),
  },
  'transpose [2,0,1]': { params: { x: [2, 3, 4] }, build: (g, p) => g.transpose(p.x, [2, 0, 1]) },
  'unsqueeze [0,2]': { params: { x: [2, 3] }, build: (g, p) => g.unsqueeze(p.x, [0, 2]) },
  'squeeze [1]': { params: { x: [2, 1, 3] }, build: (g, p) => g.squeeze(p.x, [1]) },
  'concat axis 1 (with a reused input)': { params: { a: [2, 3], b: [2, 2] }, build: (g, p) => g.concat([p.a, p.b, p.a], 1) },
  'concat symbolic axis': {
    params: { a: { shape: [2, 'n'], dims: [2, 3] }, b: [2, 2] }, outDims: [2, 5], build: (g, p) => g.concat([p.a, p.b], 1),
  },
  'split, one piece used': { params: { x: [2, 5] }, build: (g, p) => g.split(p.x, [2, 3], 1)[1] },
  'slice [1:3, 0:-1]': { params: { x: [4, 5] }, build: (g, p) => g.slice(p.x, [1, 0], [3, -1], [0, 1]) },
  'slice negative start': { params: { x: [4, 5] }, build: (g, p) => g.slice(p.x, [-2], [100], [1]) },
  'slice symbolic dim (run-time pads)': {
    params: { x: { shape: ['t', 5], dims: [4, 5] } }, outDims: [3, 5], build: (g, p) => g.slice(p.x, [1], [2 ** 40], [0]),
  },
  'slice last step of a symbolic dim, broadcast against it': {
    params: { x: { shape: ['t', 3], dims: [4, 3] } }, outDims: [4, 3], build: (g, p) => g.mul(p.x, g.slice(p.x, [-1], [2 ** 40], [0])),
  },
  'slice with tensor starts': {
    params: { x: [4, 5] }, outDims: [4, 2], build: (g, p) => g.slice(p.x, g.constant([-3], 'int64', [1]), g.constant([-1], 'int64', [1]), [1]),
  },
  'reduceSum axis 1': { params: { x: [2, 3, 4] }, build: (g, p) => g.reduceSum(p.x, [1]) },
  'reduceSum keepdims [0,2]': { params: { x: [2, 3, 4] }, build: (g, p) => g.reduceSum(p.x, [0, 2], true) },
  'reduceSum all': { params: { x: [2, 3] }, build: (g, p) => g.reduceSum(p.x, []) },
  'reduceMean [0,2]': { params: { x: [2, 3, 4] }, build: (g, p) => g.reduceMean(p.x, [0, 2]) },
  'reduceMean symbolic (run-time count)': {
    params: { x: { shape: ['b', 3], dims: [2, 3] } }, outDims: [3], build: (g, p) => g.reduceMean(p.x, [0]),
  },
  'reduceMax axis 1': { params: { x: [2, 3, 4] }, build: (g, p) => g.reduceMax(p.x, [1]) },
  'logSumExp axis 1': { params: { x: [2, 5] }, build: (g, p) => g.logSumExp(p.x, 1) },
  'logSumExp keepdims, large values': { params: { x: { shape: [2, 3], range: [400, 800] } }, build: (g, p) => g.logSumExp(p.x, -1, true) },
  'where (mask) broadcast [2,3] / [3]': {
    params: { a: [2, 3], b: [3] }, build: (g, p) => g.where(g.constant([1, 0, 1, 0, 0, 1], 'bool', [2, 3]), p.a, p.b),
  },
  'where with number': { params: { a: [2, 3] }, build: (g, p) => g.where(g.greater(p.a, 0), p.a, -5) },
  'cast bool mask to float': { params: { a: [2, 3] }, build: (g, p) => g.mul(p.a, g.cast(g.greater(p.a, 0), 'float64')) },
  'expand [3,1] -> [2,3,4]': { params: { x: [3, 1] }, build: (g, p) => g.expand(p.x, g.constant([2, 3, 4], 'int64')) },
  'trilu lower': { params: { x: [3, 3] }, build: (g, p) => g.trilu(p.x, false) },
  'trilu upper k=1': { params: { x: [3, 4] }, build: (g, p) => g.trilu(p.x, true, 1) },
  identity: { params: { x: [2, 2] }, build: (g, p) => g.identity(p.x) },
};

describe('op gradients match central finite differences (float64)', () => {
  test.each(Object.keys(cases))('%s', async (name) => {
    const r = await gradCheck(cases[name]);
    if (r.worst > 1) throw new Error(`${name}: gradient mismatch at ${r.where} (score ${r.worst.toFixed(2)})`);
    expect(r.maxAbsGrad).toBeGreaterThan(1e-3);
  });
});

describe('float32 gradients', () => {
  test('cast float32 -> float64 -> float32 carries the gradient', async () => {
    // In float32 the finite difference itself is only good to ~1e-3 relative (eps 2^-7, 24-bit mantissa),
    // so the tolerance is 1e-2 relative; this checks the Cast rule's wiring, float64 checks the maths.
    const r = await gradCheck({
      dtype: 'float32', eps: 2 ** -7, rtol: 1e-2, atol: 1e-4,
      params: { x: [2, 3] },
      build: (g, p) => g.cast(g.exp(g.cast(p.x, 'float64')), 'float32'),
    });
    expect(r.worst).toBeLessThanOrEqual(1);
  });
  test('layerNorm and softmax float32 kernels', async () => {
    const r = await gradCheck({
      dtype: 'float32', eps: 2 ** -7, rtol: 2e-2, atol: 1e-3,
      params: { x: [2, 4], s: [4], b: [4] },
      build: (g, p) => g.softmax(g.layerNorm(p.x, p.s, p.b)),
    });
    expect(r.worst).toBeLessThanOrEqual(1);
  });
});

/** Gradients of loss = sum(f(x) * w) for x, w given, in the requested dtype. */
async function gradientsIn(dtype: 'float32' | 'float64', shapes: Record<string, number[]>, values: Record<string, Float64Array>, f: (g: Graph, p: Record<string, Tensor>) => Tensor, w: Float64Array): Promise<Float64Array[]> {
  const g = new Graph();
  const p: Record<string, Tensor> = {};
  for (const [k, s] of Object.entries(shapes)) p[k] = g.param(k, s, dtype);
  const out = f(g, p);
  const loss = g.reduceSum(g.mul(out, g.constant(w, dtype, out.shape as number[])), []);
  g.grad(loss, Object.values(p)).forEach((t, i) => g.output(t, `g${i}`));
  const Arr = dtype === 'float32' ? Float32Array : Float64Array;
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, s] of Object.entries(shapes)) feeds[k] = new ort.Tensor(dtype, Arr.from(values[k]), s);
  const r = await (await ort.InferenceSession.create(g.toBytes())).run(feeds);
  return Object.keys(shapes).map((_, i) => Float64Array.from(r[`g${i}`].data as Float32Array));
}

describe('float32 kernels and fused rules agree with the float64 (finite-difference checked) gradients', () => {
  // float32 has a 24-bit mantissa; a handful of ops between input and gradient keeps the error near 1e-6
  // relative, so 1e-4 relative (plus 1e-5 absolute for near-zero entries) catches any wrong rule.
  const f32cases: Record<string, [Record<string, number[]>, (g: Graph, p: Record<string, Tensor>) => Tensor]> = {
    'layerNorm (Mean/InvStdDev outputs)': [{ x: [3, 6], s: [6], b: [6] }, (g, p) => g.layerNorm(p.x, p.s, p.b)],
    gelu: [{ x: [4, 5] }, (g, p) => g.gelu(g.mul(p.x, 3))],
    rmsNorm: [{ x: [3, 6], w: [6] }, (g, p) => g.rmsNorm(p.x, p.w, 1e-5)],
    'siluMul (ORT fuses the forward into QuickGelu in float32)': [{ a: [4, 5], b: [4, 5] }, (g, p) => g.siluMul(g.mul(p.a, 4), p.b)],
    'softplus (kernel in float32, composed in float64)': [{ x: [4, 5] }, (g, p) => g.softplus(g.mul(p.x, 4))],
    'matmul with Gemm backward': [{ a: [3, 4], b: [4, 2] }, (g, p) => g.matmul(p.a, p.b)],
    'softmax + logSoftmax': [{ x: [2, 5] }, (g, p) => g.add(g.softmax(p.x), g.logSoftmax(p.x))],
  };
  test.each(Object.keys(f32cases))('%s', async (name) => {
    const [shapes, f] = f32cases[name];
    const rng = new Rng(3);
    const values: Record<string, Float64Array> = {};
    for (const [k, s] of Object.entries(shapes)) values[k] = Float64Array.from(Float32Array.from(rng.array(s.reduce((a, b) => a * b, 1))));
    const probe = new Graph();
    const outShape = f(probe, Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, probe.param(k, s, 'float64')]))).shape as number[];
    const w = Float64Array.from(Float32Array.from(rng.array(outShape.reduce((a, b) => a * b, 1))));
    const g32 = await gradientsIn('float32', shapes, values, f, w);
    const g64 = await gradientsIn('float64', shapes, values, f, w);
    g64.forEach((ref, i) => ref.forEach((v, j) => {
      if (Math.abs(g32[i][j] - v) > 1e-5 + 1e-4 * Math.abs(v)) throw new Error(`${name}: grad ${i}[${j}] float32 ${g32[i][j]} vs float64 ${v}`);
    }));
    expect(Math.max(...g64.map((a) => Math.max(...a.map(Math.abs))))).toBeGreaterThan(1e-3);
  });
});
