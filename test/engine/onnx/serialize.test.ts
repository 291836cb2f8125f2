/** ModelProto serialization: ORT loads what we emit, dynamic dims work, the hash is stable. */
import * as ort from 'onnxruntime-node';
import { Graph } from '../../../engine/onnx';

function buildMlp(hidden = 4): Graph {
  const g = new Graph('mlp');
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.param('w', [3, hidden]);
  const b = g.constant([0.5, -0.5, 1, 2].slice(0, hidden), 'float32', [hidden]);
  g.output(g.relu(g.add(g.matmul(x, w), b)), 'y');
  return g;
}

describe('serialization', () => {
  test('ORT runs the model with a symbolic batch dim at two batch sizes', async () => {
    const session = await ort.InferenceSession.create(buildMlp().toBytes());
    expect(session.inputNames).toEqual(['x', 'w']);
    expect(session.outputNames).toEqual(['y']);
    const w = new ort.Tensor('float32', Float32Array.from({ length: 12 }, (_, i) => (i % 5) - 2), [3, 4]);
    for (const batch of [1, 3]) {
      const xs = Float32Array.from({ length: batch * 3 }, (_, i) => i * 0.25 - 1);
      const y = (await session.run({ x: new ort.Tensor('float32', xs, [batch, 3]), w })).y;
      expect(y.dims).toEqual([batch, 4]);
      // Reference in plain TS.
      for (let r = 0; r < batch; r++) {
        for (let c = 0; c < 4; c++) {
          let s = [0.5, -0.5, 1, 2][c];
          for (let k = 0; k < 3; k++) s += xs[r * 3 + k] * (w.data as Float32Array)[k * 4 + c];
          expect((y.data as Float32Array)[r * 4 + c]).toBeCloseTo(Math.max(s, 0), 5);
        }
      }
    }
  });

  test('hash is stable for equal constructions and changes with the graph', () => {
    expect(buildMlp().hash()).toBe(buildMlp().hash());
    expect(buildMlp().hash()).toMatch(/^[0-9a-f]{64}$/);
    expect(buildMlp(3).hash()).not.toBe(buildMlp().hash());
    expect(buildMlp().hash({ opset: 18 })).not.toBe(buildMlp().hash());
  });

  test.each([17, 18, 21, 26])('opset %i: reductions with axes run (axes attribute before 18, input from 18)', async (opset) => {
    const g = new Graph('reduce');
    const x = g.input('x', 'float64', [2, 3]);
    g.output(g.reduceMean(x, [1]), 'mean');
    g.output(g.reduceMax(x, [0], true), 'max');
    g.output(g.reduceSum(x, [-1]), 'sum');
    const s = await ort.InferenceSession.create(g.toBytes({ opset }));
    const r = await s.run({ x: new ort.Tensor('float64', Float64Array.from([1, 2, 3, 4, 8, 9]), [2, 3]) });
    expect(Array.from(r.mean.data as Float64Array)).toEqual([2, 7]);
    expect(Array.from(r.max.data as Float64Array)).toEqual([4, 8, 9]);
    expect(r.max.dims).toEqual([1, 3]);
    expect(Array.from(r.sum.data as Float64Array)).toEqual([6, 21]);
  });

  test('constants of every dtype round-trip through initializers (little-endian raw_data)', async () => {
    const g = new Graph('consts');
    g.output(g.identity(g.constant([1.5, -2.25], 'float32')), 'f32');
    g.output(g.identity(g.constant(new Float64Array([Math.PI, -1e-300]), 'float64')), 'f64');
    g.output(g.cast(g.constant([-3, 2 ** 40], 'int64'), 'int64'), 'i64');
    g.output(g.cast(g.constant([-7, 9], 'int32', [2, 1]), 'int32'), 'i32');
    g.output(g.not(g.constant([1, 0, 1], 'bool')), 'b');
    const r = await (await ort.InferenceSession.create(g.toBytes())).run({});
    expect(Array.from(r.f32.data as Float32Array)).toEqual([1.5, -2.25]);
    expect(Array.from(r.f64.data as Float64Array)).toEqual([Math.PI, -1e-300]);
    expect(Array.from(r.i64.data as BigInt64Array)).toEqual([-3n, 2n ** 40n]);
    expect(r.i32.dims).toEqual([2, 1]);
    expect(Array.from(r.i32.data as Int32Array)).toEqual([-7, 9]);
    expect(Array.from(r.b.data as Uint8Array).map(Boolean)).toEqual([false, true, false]);
  });

  test('graph outputs declare symbolic dims by name', async () => {
    const g = new Graph('sym');
    const x = g.input('tokens', 'int64', ['batch', 'seq']);
    const e = g.param('embed', [10, 2]);
    g.output(g.gather(e, x), 'h');
    const s = await ort.InferenceSession.create(g.toBytes());
    const r = await s.run({
      tokens: new ort.Tensor('int64', BigInt64Array.from([1n, 9n, 0n]), [1, 3]),
      embed: new ort.Tensor('float32', Float32Array.from({ length: 20 }, (_, i) => i), [10, 2]),
    });
    expect(r.h.dims).toEqual([1, 3, 2]);
    expect(Array.from(r.h.data as Float32Array)).toEqual([2, 3, 18, 19, 0, 1]);
  });
});

/** A small training graph touching the opset-sensitive ops (reductions, Split, Pad, Squeeze, ScatterND). */
function buildTrainGraph(): Graph {
  const g = new Graph('train');
  const ids = g.input('ids', 'int64', ['batch', 't']);
  const embed = g.param('embed', [6, 4], 'float64');
  const scale = g.param('scale', [4], 'float64');
  const x = g.layerNorm(g.gather(embed, ids), scale, null);
  const [a, b] = g.split(x, [1, 3], 2);
  const last = g.slice(g.add(a, g.reduceMax(b, [2], true)), [-1], [2 ** 40], [1]);
  const loss = g.add(g.reduceMean(g.gelu(last), []), g.logSumExp(g.reshape(b, [-1]), 0));
  const grads = g.grad(loss, [embed, scale]);
  g.output(loss, 'loss');
  g.output(grads[0], 'g_embed');
  g.output(grads[1], 'g_scale');
  return g;
}

describe('opsets and determinism with gradients', () => {
  test('the same training graph gives the same numbers at opsets 17, 18, 21 and 26', async () => {
    const feeds = {
      ids: new ort.Tensor('int64', BigInt64Array.from([0n, 5n, 2n, 2n, 1n, 0n]), [2, 3]),
      embed: new ort.Tensor('float64', Float64Array.from({ length: 24 }, (_, i) => Math.sin(i + 1)), [6, 4]),
      scale: new ort.Tensor('float64', Float64Array.from([1, 0.5, -2, 1.5]), [4]),
    };
    const results: number[][] = [];
    for (const opset of [17, 18, 21, 26]) {
      const r = await (await ort.InferenceSession.create(buildTrainGraph().toBytes({ opset }))).run(feeds);
      results.push([...(r.loss.data as Float64Array), ...(r.g_embed.data as Float64Array), ...(r.g_scale.data as Float64Array)]);
    }
    expect(results[0].some((v) => v !== 0 && Number.isFinite(v))).toBe(true);
    for (const r of results.slice(1)) r.forEach((v, i) => expect(v).toBeCloseTo(results[0][i], 12));
  });

  test('building the same graph with gradients twice gives the same bytes', () => {
    expect(Buffer.from(buildTrainGraph().toBytes()).equals(Buffer.from(buildTrainGraph().toBytes()))).toBe(true);
  });
});

describe('bad input gives clear errors', () => {
  test('dtype mismatch names both tensors and the fix', () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [2]);
    const b = g.input('b', 'float64', [2]);
    expect(() => g.add(a, b)).toThrow(/add: dtype mismatch: 'a' is float32 but 'b' is float64; cast/);
  });
  test('shapes that do not broadcast', () => {
    const g = new Graph();
    expect(() => g.mul(g.input('a', 'float32', [2, 3]), g.input('b', 'float32', [4]))).toThrow(/mul: shapes \[2, 3\] and \[4\] do not broadcast/);
  });
  test('matmul inner dims', () => {
    const g = new Graph();
    expect(() => g.matmul(g.input('a', 'float32', [2, 3]), g.input('b', 'float32', [4, 5]))).toThrow(/matmul: inner dims differ/);
  });
  test('duplicate names, bad axes, non-scalar loss, graph without outputs, bad opset', () => {
    const g = new Graph('g');
    const x = g.input('x', 'float32', [2, 3]);
    expect(() => g.input('x', 'float32', [1])).toThrow(/name 'x' is already used/);
    expect(() => g.softmax(x, 2)).toThrow(/softmax: axis 2 is out of range for a tensor of rank 2/);
    expect(() => g.grad(x, [x])).toThrow(/must be a scalar, got shape \[2, 3\]/);
    expect(() => g.toBytes()).toThrow(/has no outputs/);
    g.output(x, 'y');
    expect(() => g.toBytes({ opset: 16 })).toThrow(/opset 16 is unsupported/);
    expect(() => g.reshape(x, ['batch', 3])).toThrow(/symbolic dim 'batch' is not in the input shape/);
    expect(() => g.where(x, x, x)).toThrow(/condition 'x' is float32; needs bool/);
  });
});
