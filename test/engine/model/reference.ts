/**
 * Independent plain-TypeScript references the model tests compare the graphs against: PAPER.md's loss
 * formulas, torch-style AdamW with global-norm clipping, and small helpers. Written from the formulas, not
 * from the graph code.
 */
import * as ort from 'onnxruntime-node';
import type { ResolvedModelConfig } from '../../../engine/model/api';

export const TINY: ResolvedModelConfig = { vocab: 11, dModel: 16, layers: 2, heads: 2, context: 16, tiedHead: true };

/**
 * Tiny configs of the Hugging Face families, each with its options switched on: llama with grouped-query attention,
 * llama3 rope_scaling (original context 4, so every frequency band is used) and an untied head; qwen2 with q/k/v
 * biases; mistral with an explicit head_dim that is not dModel / heads and a single key/value head.
 */
export const TINY_FAMILIES: ResolvedModelConfig[] = [
  {
    family: 'llama', vocab: 11, dModel: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, context: 16, tiedHead: false, normEps: 1e-6,
    ropeTheta: 500000, ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 4 },
  },
  { family: 'qwen2', vocab: 11, dModel: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, context: 16, tiedHead: true, normEps: 1e-6, ropeTheta: 1e6, qkvBias: true },
  { family: 'mistral', vocab: 11, dModel: 16, layers: 2, heads: 2, kvHeads: 1, headDim: 12, intermediate: 20, context: 16, tiedHead: false, normEps: 1e-5, ropeTheta: 10000 },
];

export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

export interface PairInput {
  piW: number; piL: number; refW: number; refL: number; lenW: number; lenL: number;
}

/** Per-pair loss of PAPER.md's table. */
export function paperLoss(name: string, p: PairInput, beta: number, eps: number): number {
  const dw = p.piW - p.refW;
  const dl = p.piL - p.refL;
  const d = dw - dl;
  switch (name) {
    case 'sigmoid': return -logSigmoid(beta * d);
    case 'robust': return (-(1 - eps) * logSigmoid(beta * d) + eps * logSigmoid(-beta * d)) / (1 - 2 * eps);
    case 'ipo': return (dw / p.lenW - dl / p.lenL - 1 / (2 * beta)) ** 2;
    case 'hinge': return Math.max(0, 1 - beta * d);
    case 'sigmoid_norm': return -logSigmoid(beta * (dw / p.lenW - dl / p.lenL));
    default: throw new Error(`reference: no loss ${name}`);
  }
}

/** The standard trainer's metrics, batch means. */
export function paperMetrics(pairs: PairInput[], beta: number): Record<string, number> {
  const mean = (f: (p: PairInput) => number) => pairs.reduce((s, p) => s + f(p), 0) / pairs.length;
  return {
    'rewards/chosen': mean((p) => beta * (p.piW - p.refW)),
    'rewards/rejected': mean((p) => beta * (p.piL - p.refL)),
    'rewards/margins': mean((p) => beta * (p.piW - p.refW) - beta * (p.piL - p.refL)),
    'rewards/accuracies': mean((p) => (beta * (p.piW - p.refW) > beta * (p.piL - p.refL) ? 1 : 0)),
    'logps/chosen': mean((p) => p.piW),
    'logps/rejected': mean((p) => p.piL),
  };
}

/** torch.optim.AdamW (betas 0.9 / 0.999, eps 1e-8) after torch.nn.utils.clip_grad_norm_, in float64. */
export class ReferenceAdamW {
  m: Float64Array[];
  v: Float64Array[];
  t = 0;
  constructor(public params: Float64Array[], readonly decay: boolean[]) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  step(grads: Float64Array[], lr: number, weightDecay: number, maxNorm: number): number {
    let sq = 0;
    for (const g of grads) for (const x of g) sq += x * x;
    const norm = Math.sqrt(sq);
    const coef = Math.min(1, maxNorm / (norm + 1e-6));
    this.t += 1;
    const bc1 = 1 - 0.9 ** this.t;
    const bc2 = 1 - 0.999 ** this.t;
    this.params.forEach((p, i) => {
      for (let j = 0; j < p.length; j++) {
        const g = grads[i][j] * coef;
        if (this.decay[i]) p[j] *= 1 - lr * weightDecay;
        this.m[i][j] = 0.9 * this.m[i][j] + 0.1 * g;
        this.v[i][j] = 0.999 * this.v[i][j] + 0.001 * g * g;
        p[j] -= (lr * (this.m[i][j] / bc1)) / (Math.sqrt(this.v[i][j] / bc2) + 1e-8);
      }
    });
    return norm;
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
}

/** A deterministic pseudo-random sequence for test data (mulberry32). */
export function testRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
