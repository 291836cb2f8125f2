/**
 * The DPO-family preference losses of PAPER.md and the standard trainer's metrics, as graph ops.
 * One function maps each loss name to its formula (the standard DPO trainer's shape). Per pair:
 *   dw = logp_pi(yw) - logp_ref(yw),  dl = logp_pi(yl) - logp_ref(yl),  d = dw - dl
 *   sigmoid      -log sigmoid(beta d)
 *   robust       [-(1-eps) log sigmoid(beta d) + eps log sigmoid(-beta d)] / (1 - 2 eps)
 *   ipo          (dw/|yw| - dl/|yl| - 1/(2 beta))^2
 *   hinge        max(0, 1 - beta d)
 *   sigmoid_norm -log sigmoid(beta (dw/|yw| - dl/|yl|))
 * The batch loss is the mean over pairs. |y| is the response's token count (at least 1).
 */
import { LOSSES, type LossName } from '../../schemas/campaign';
import type { Graph, Tensor } from '../onnx';
import { InvalidInputError } from '../errors';

export function assertLossName(loss: string): asserts loss is LossName {
  if (!(LOSSES as readonly string[]).includes(loss)) {
    throw new InvalidInputError(`unknown preference loss '${loss}'; update.loss must be one of ${LOSSES.join(', ')}`);
  }
}

export interface PairLogps {
  /** Sequence log-probs under the policy [pairs]. */
  policyChosen: Tensor;
  policyRejected: Tensor;
  refChosen: Tensor;
  refRejected: Tensor;
  /** Response token counts [pairs]. */
  lenChosen: Tensor;
  lenRejected: Tensor;
}

export interface PreferenceLossOutputs {
  loss: Tensor;
  metrics: Record<'rewards/chosen' | 'rewards/rejected' | 'rewards/margins' | 'rewards/accuracies' | 'logps/chosen' | 'logps/rejected', Tensor>;
}

function mean(g: Graph, t: Tensor): Tensor {
  return g.reduceMean(t, [0], false);
}

export function preferenceLoss(g: Graph, loss: string, x: PairLogps, beta: Tensor, labelSmoothing: Tensor): PreferenceLossOutputs {
  assertLossName(loss);
  const dw = g.sub(x.policyChosen, x.refChosen);
  const dl = g.sub(x.policyRejected, x.refRejected);
  const d = g.sub(dw, dl);
  const normalized = () => g.sub(g.div(dw, g.max(x.lenChosen, 1)), g.div(dl, g.max(x.lenRejected, 1)));
  let perPair: Tensor;
  switch (loss) {
    case 'sigmoid':
      perPair = g.neg(g.logSigmoid(g.mul(beta, d)));
      break;
    case 'robust': {
      const eps = labelSmoothing;
      const bd = g.mul(beta, d);
      const numerator = g.add(g.neg(g.mul(g.sub(1, eps), g.logSigmoid(bd))), g.mul(eps, g.logSigmoid(g.neg(bd))));
      perPair = g.div(numerator, g.sub(1, g.mul(eps, 2)));
      break;
    }
    case 'ipo': {
      const r = g.sub(normalized(), g.div(0.5, beta));
      perPair = g.mul(r, r);
      break;
    }
    case 'hinge':
      perPair = g.relu(g.sub(1, g.mul(beta, d)));
      break;
    case 'sigmoid_norm':
      perPair = g.neg(g.logSigmoid(g.mul(beta, normalized())));
      break;
  }
  const rewardChosen = g.mul(beta, dw);
  const rewardRejected = g.mul(beta, dl);
  return {
    loss: mean(g, perPair),
    metrics: {
      'rewards/chosen': mean(g, rewardChosen),
      'rewards/rejected': mean(g, rewardRejected),
      'rewards/margins': mean(g, g.sub(rewardChosen, rewardRejected)),
      'rewards/accuracies': mean(g, g.cast(g.greater(rewardChosen, rewardRejected), rewardChosen.dtype)),
      'logps/chosen': mean(g, x.policyChosen),
      'logps/rejected': mean(g, x.policyRejected),
    },
  };
}
