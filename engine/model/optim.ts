/**
 * Global-norm gradient clipping and AdamW, written out of primitive ONNX ops (adamw-slices.ts runs them on the
 * gradients a training graph returns). Semantics follow torch.nn.utils.clip_grad_norm_ and torch.optim.AdamW:
 *   norm = sqrt(sum_p |g_p|^2);  g <- g * min(1, maxNorm / (norm + 1e-6))
 *   p <- p * (1 - lr * wd)                      (decoupled weight decay; only where `decay`)
 *   m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
 *   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * where t is the 1-based index of this optimizer step (TrainState.step + 1).
 */
import type { Graph, Tensor } from '../onnx';

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPS = 1e-8;
export const CLIP_EPS = 1e-6;

/** Scalar hyper-parameters fed at run time, so one session serves every step and every schedule. */
export interface OptimizerInputs {
  lr: Tensor;
  /** 1-based optimizer step t. */
  step: Tensor;
  weightDecay: Tensor;
  maxGradNorm: Tensor;
}

export function declareOptimizerInputs(g: Graph, dtype: 'float32' | 'float64'): OptimizerInputs {
  return {
    lr: g.input('lr', dtype, []),
    step: g.input('step', dtype, []),
    weightDecay: g.input('weight_decay', dtype, []),
    maxGradNorm: g.input('max_grad_norm', dtype, []),
  };
}

/**
 * The clipping coefficient min(1, maxNorm / (norm + 1e-6)) for the global L2 norm of all gradients (computed over
 * every parameter before any is updated, adamw-slices.ts). It is folded into AdamW's scalar factors instead of
 * rescaling every gradient tensor.
 */
export function clipCoefficient(g: Graph, norm: Tensor, maxNorm: Tensor): Tensor {
  return g.min(g.div(maxNorm, g.add(norm, CLIP_EPS)), 1);
}

export interface AdamWResult { params: Tensor[]; m: Tensor[]; v: Tensor[] }

/**
 * AdamW on gradients scaled by `gradScale` (the clipping coefficient). Every scalar factor is computed once, so
 * the per-element work is the minimum the update needs; the optimizer is memory-bound and runs over every
 * parameter each step:
 *   m1 = b1 m + ((1-b1) c) g;   v1 = b2 v + ((1-b2) c^2) g^2
 *   p1 = p (1 - lr wd) - (lr / bc1) * m1 / (sqrt(v1) / sqrt(bc2) + eps)
 */
export function adamw(
  g: Graph, params: Tensor[], grads: Tensor[], m: Tensor[], v: Tensor[], decay: boolean[], h: OptimizerInputs, gradScale?: Tensor,
): AdamWResult {
  const bc1 = g.sub(1, g.pow(g.scalar(ADAM_BETA1, h.step.dtype), h.step));
  const bc2 = g.sub(1, g.pow(g.scalar(ADAM_BETA2, h.step.dtype), h.step));
  const c = gradScale ?? g.scalar(1, h.step.dtype);
  const mScale = g.mul(c, 1 - ADAM_BETA1);
  const vScale = g.mul(g.mul(c, c), 1 - ADAM_BETA2);
  const invSqrtBc2 = g.div(1, g.sqrt(bc2));
  const stepSize = g.div(h.lr, bc1);
  const shrink = g.sub(1, g.mul(h.lr, h.weightDecay));
  const out: AdamWResult = { params: [], m: [], v: [] };
  params.forEach((p, i) => {
    const grad = grads[i];
    const m1 = g.add(g.mul(m[i], ADAM_BETA1), g.mul(grad, mScale));
    const v1 = g.add(g.mul(v[i], ADAM_BETA2), g.mul(g.mul(grad, grad), vScale));
    const denom = g.add(g.mul(g.sqrt(v1), invSqrtBc2), ADAM_EPS);
    const update = g.mul(g.div(m1, denom), stepSize);
    const decayed = decay[i] ? g.mul(p, shrink) : p;
    out.params.push(g.sub(decayed, update));
    out.m.push(m1);
    out.v.push(v1);
  });
  return out;
}
