/**
 * Gradient check harness: loss = sum(f(params) * W) with fixed random W; the emitted backward graph's
 * gradient (run in ORT) is compared with central finite differences of the same loss (also run in ORT,
 * on the same session, fetching only `loss`).
 */
import * as ort from 'onnxruntime-node';
import prand from 'pure-rand';
import { Dim, Graph, Tensor } from '../../../engine/onnx';

export class Rng {
  private rng: ReturnType<typeof prand.xoroshiro128plus>;
  constructor(seed: number) {
    this.rng = prand.xoroshiro128plus(seed);
  }
  uniform(lo = -1, hi = 1): number {
    return lo + ((hi - lo) * prand.unsafeUniformIntDistribution(0, 2 ** 30 - 1, this.rng)) / 2 ** 30;
  }
  int(n: number): number {
    return prand.unsafeUniformIntDistribution(0, n - 1, this.rng);
  }
  array(n: number, lo = -1, hi = 1): Float64Array {
    return Float64Array.from({ length: n }, () => this.uniform(lo, hi));
  }
}

export interface ParamSpec {
  /** Declared shape (may be symbolic). */
  shape: Dim[];
  /** Run-time shape, when `shape` has symbolic dims. */
  dims?: number[];
  /** Value range for the random init, default [-1, 1]. */
  range?: [number, number];
}

export interface GradCheckCase {
  params: Record<string, number[] | ParamSpec>;
  build: (g: Graph, p: Record<string, Tensor>) => Tensor;
  /** Run-time shape of build()'s output when its static shape is symbolic. */
  outDims?: number[];
  seed?: number;
  dtype?: 'float64' | 'float32';
  eps?: number;
  rtol?: number;
  atol?: number;
}

export interface GradCheckResult {
  /** Largest |analytic - numeric| / (atol + rtol * max(|analytic|, |numeric|)); <= 1 passes. */
  worst: number;
  maxAbsGrad: number;
  where: string;
}

const prod = (s: number[]): number => s.reduce((a, b) => a * b, 1);

export async function gradCheck(c: GradCheckCase): Promise<GradCheckResult> {
  const dtype = c.dtype ?? 'float64';
  const eps = c.eps ?? (dtype === 'float64' ? 1e-6 : 1e-2);
  const rtol = c.rtol ?? 1e-6;
  const atol = c.atol ?? 1e-8;
  const rng = new Rng(c.seed ?? 7);
  const g = new Graph('gradcheck');
  const specs = Object.entries(c.params).map(([name, s]) => {
    const spec: ParamSpec = Array.isArray(s) ? { shape: s } : s;
    const dims = spec.dims ?? (spec.shape as number[]);
    const [lo, hi] = spec.range ?? [-1, 1];
    return { name, spec, dims, values: rng.array(prod(dims), lo, hi) };
  });
  const p: Record<string, Tensor> = {};
  for (const s of specs) p[s.name] = g.param(s.name, s.spec.shape, dtype);
  const out = c.build(g, p);
  const outDims = c.outDims ?? (out.shape as number[]);
  if (outDims.some((d) => typeof d !== 'number')) throw new Error('gradCheck: output shape is symbolic; pass outDims');
  const w = g.constant(rng.array(prod(outDims)), dtype, outDims);
  const loss = g.reduceSum(g.mul(out, w), []);
  const grads = g.grad(loss, specs.map((s) => p[s.name]));
  g.output(loss, 'loss');
  grads.forEach((gr, i) => g.output(gr, `grad_${specs[i].name}`));
  const session = await ort.InferenceSession.create(g.toBytes());

  const Arr = dtype === 'float64' ? Float64Array : Float32Array;
  const feeds = (override?: { k: number; i: number; delta: number }): Record<string, ort.Tensor> => {
    const f: Record<string, ort.Tensor> = {};
    specs.forEach((s, k) => {
      const v = Arr.from(s.values);
      if (override && override.k === k) v[override.i] += override.delta;
      f[s.name] = new ort.Tensor(dtype, v, s.dims);
    });
    return f;
  };
  const res = await session.run(feeds());
  let worst = 0;
  let maxAbsGrad = 0;
  let where = '';
  for (let k = 0; k < specs.length; k++) {
    const analytic = res[`grad_${specs[k].name}`].data as Float64Array;
    if (analytic.length !== specs[k].values.length) throw new Error(`gradient of ${specs[k].name} has ${analytic.length} elements, expected ${specs[k].values.length}`);
    for (let i = 0; i < analytic.length; i++) {
      const up = (await session.run(feeds({ k, i, delta: eps }), ['loss'])).loss.data[0] as number;
      const down = (await session.run(feeds({ k, i, delta: -eps }), ['loss'])).loss.data[0] as number;
      const numeric = (up - down) / (2 * eps);
      const a = analytic[i];
      const err = Math.abs(a - numeric) / (atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)));
      maxAbsGrad = Math.max(maxAbsGrad, Math.abs(a));
      if (err > worst || Number.isNaN(err)) {
        worst = Number.isNaN(err) ? Infinity : err;
        where = `${specs[k].name}[${i}]: analytic ${a}, numeric ${numeric}`;
      }
    }
  }
  return { worst, maxAbsGrad, where };
}
