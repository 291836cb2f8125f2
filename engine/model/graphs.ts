/**
 * Every graph of the model family, built from the one definition in gpt.ts. Weights are
 * graph inputs, never initializers, so one cached session serves every step of a run.
 *
 * Sequence graphs (scoring, SFT, preference, reward) take right-padded rows of prompt + response:
 *   input_ids [batch, seq] int64, attention_mask [batch, seq] int64 (1 = real token), position_ids [batch, seq] int64,
 *   target_ids [batch, seq] int64 (the next token at every position), response_mask [batch, seq] float
 *   (1 where target_ids[t] is a response token). batch.ts builds these from token lists.
 * Training graphs output the loss, metrics and `grad.<name>` for every parameter; clipping and AdamW run on those
 * gradients afterwards, in place in the state's arrays (accumulate.ts, adamw.ts), so that no run outputs a whole new
 * model state (the binding copies every output).
 */
import { Graph, type Tensor } from '../onnx';
import type { ResolvedModelConfig } from './api';
import { attentionBias, cacheShape, declareParams, lmLogits, parameterSpecs, trunk, validateConfig, type FloatType, type Head, type LayerCache, type Params } from './gpt';
import { preferenceLoss, assertLossName } from './losses';

export const PAIR_METRICS = ['rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'logps/rejected'] as const;

export const gradName = (name: string) => `grad.${name}`;

/**
 * Decode graph with KV cache, named as Optimum exports decoders:
 * input_ids [batch, seq], attention_mask [batch, past+seq], position_ids [batch, seq],
 * past_key_values.N.key|value [batch, kvHeads, past, headDim] -> logits [batch, seq, vocab], present.N.key|value.
 * Prefill feeds past tensors with a 0-length past dimension.
 */
export function buildDecodeGraph(config: ResolvedModelConfig): Graph {
  validateConfig(config);
  const g = new Graph('prefloop_policy_decode');
  const params = declareParams(g, config, 'lm', 'float32');
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  const past: LayerCache[] = [];
  const cache = cacheShape(config);
  for (let l = 0; l < config.layers; l++) {
    const shape = ['batch_size', cache.heads, 'past_sequence_length', cache.headDim];
    past.push({
      key: g.input(`past_key_values.${l}.key`, 'float32', shape),
      value: g.input(`past_key_values.${l}.value`, 'float32', shape),
    });
  }
  const bias = attentionBias(g, inputIds, attentionMask, 'float32');
  const { hidden, present } = trunk(g, config, params, inputIds, positionIds, bias, past);
  g.output(lmLogits(g, config, params, hidden), 'logits');
  present.forEach((c, l) => {
    g.output(c.key, `present.${l}.key`);
    g.output(c.value, `present.${l}.value`);
  });
  return g;
}

interface SequenceInputs { inputIds: Tensor; attentionMask: Tensor; positionIds: Tensor; targetIds: Tensor; responseMask: Tensor }

function declareSequenceInputs(g: Graph, dtype: FloatType): SequenceInputs {
  const shape = ['batch_size', 'sequence_length'];
  return {
    inputIds: g.input('input_ids', 'int64', shape),
    attentionMask: g.input('attention_mask', 'int64', shape),
    positionIds: g.input('position_ids', 'int64', shape),
    targetIds: g.input('target_ids', 'int64', shape),
    responseMask: g.input('response_mask', dtype, shape),
  };
}

function hiddenStates(g: Graph, config: ResolvedModelConfig, params: Params, s: SequenceInputs, dtype: FloatType): Tensor {
  const bias = attentionBias(g, s.inputIds, s.attentionMask, dtype);
  return trunk(g, config, params, s.inputIds, s.positionIds, bias).hidden;
}

/** Per-row sum of response-token log-probs [batch] and response token counts [batch]. */
function sequenceLogps(g: Graph, config: ResolvedModelConfig, params: Params, s: SequenceInputs, dtype: FloatType): { logps: Tensor; counts: Tensor } {
  const logits = lmLogits(g, config, params, hiddenStates(g, config, params, s, dtype));
  const tokenLogp = g.squeeze(g.gatherLogSoftmax(logits, g.unsqueeze(s.targetIds, [2])), [2]);
  return {
    logps: g.reduceSum(g.mul(tokenLogp, s.responseMask), [1], false),
    counts: g.reduceSum(s.responseMask, [1], false),
  };
}

/** Scoring graph: `logps` [batch] (sum over response tokens) and `token_count` [batch]. */
export function buildScoreGraph(config: ResolvedModelConfig, dtype: FloatType = 'float32'): Graph {
  validateConfig(config);
  const g = new Graph('prefloop_policy_score');
  const params = declareParams(g, config, 'lm', dtype);
  const { logps, counts } = sequenceLogps(g, config, params, declareSequenceInputs(g, dtype), dtype);
  g.output(logps, 'logps');
  g.output(counts, 'token_count');
  return g;
}

/** Backward: the loss and the gradient of every parameter as `grad.<name>`. */
function finishTraining(g: Graph, config: ResolvedModelConfig, head: Head, params: Params, loss: Tensor): void {
  const specs = parameterSpecs(config, head);
  const grads = g.grad(loss, specs.map((s) => params.get(s.name) as Tensor));
  g.output(loss, 'loss');
  specs.forEach((s, i) => g.output(grads[i], gradName(s.name)));
}

/** SFT: mean cross-entropy over all response tokens of the batch. */
export function buildSftGraph(config: ResolvedModelConfig, dtype: FloatType = 'float32'): Graph {
  validateConfig(config);
  const g = new Graph('prefloop_policy_sft');
  const params = declareParams(g, config, 'lm', dtype);
  const { logps, counts } = sequenceLogps(g, config, params, declareSequenceInputs(g, dtype), dtype);
  const tokens = g.max(g.reduceSum(counts, [0], false), 1);
  const loss = g.div(g.neg(g.reduceSum(logps, [0], false)), tokens);
  finishTraining(g, config, 'lm', params, loss);
  return g;
}

export const EXACT_OBJECTIVE_METRICS = ['reward', 'kl'] as const;

/**
 * The KL-regularized objective itself on an enumerable response space (issue 17: the best J the policy class can
 * reach, found by maximizing J directly). Rows are every response of each prompt, prompt after prompt, `responses`
 * rows per prompt; pi(.|x) is the softmax of the rows' sequence log-probs over that prompt's responses (as the exact
 * evaluation normalizes them). Inputs `rewards` and `ref_logps` (log pi0(a|x), normalized) are [prompts, responses],
 * `eta` a scalar. loss = -J = -mean_x sum_a pi(a|x) (r(x,a) - eta (log pi(a|x) - log pi0(a|x))), so the gradient the
 * graph takes of it is J's exact gradient, not an estimate; `reward` and `kl` are the means over prompts.
 */
export function buildExactObjectiveGraph(config: ResolvedModelConfig, responses: number, dtype: FloatType = 'float32'): Graph {
  validateConfig(config);
  if (!Number.isInteger(responses) || responses < 1) throw new Error(`internal: responses per prompt must be a positive integer, got ${responses}`);
  const g = new Graph('prefloop_policy_exact_objective');
  const params = declareParams(g, config, 'lm', dtype);
  const seq = declareSequenceInputs(g, dtype);
  const reward = g.input('rewards', dtype, ['prompts', responses]);
  const refLogp = g.input('ref_logps', dtype, ['prompts', responses]);
  const eta = g.input('eta', dtype, []);
  const { logps } = sequenceLogps(g, config, params, seq, dtype);
  const logp = g.logSoftmax(g.reshape(logps, [-1, responses]), 1);
  const p = g.exp(logp);
  const perPrompt = (t: Tensor) => g.reduceMean(g.reduceSum(g.mul(p, t), [1], false), [0], false);
  const meanReward = perPrompt(reward);
  const kl = perPrompt(g.sub(logp, refLogp));
  g.output(meanReward, 'reward');
  g.output(kl, 'kl');
  finishTraining(g, config, 'lm', params, g.neg(g.sub(meanReward, g.mul(eta, kl))));
  return g;
}

/** Splits a [2 * pairs] per-row tensor into its chosen (first half) and rejected (second half) rows. */
function splitPairs(g: Graph, t: Tensor): [Tensor, Tensor] {
  const halves = g.reshape(t, [2, -1]);
  return [g.gather(halves, g.scalar(0, 'int64'), 0), g.gather(halves, g.scalar(1, 'int64'), 0)];
}

/**
 * Preference step for one loss of PAPER.md. Rows 0..P-1 of the sequence inputs are the chosen responses,
 * rows P..2P-1 the rejected ones (same prompts); `ref_chosen` / `ref_rejected` [pairs] are the reference
 * policy's sequence log-probs; `beta` and `label_smoothing` are scalar inputs.
 */
export function buildPreferenceGraph(config: ResolvedModelConfig, loss: string, dtype: FloatType = 'float32'): Graph {
  validateConfig(config);
  assertLossName(loss);
  const g = new Graph(`prefloop_policy_${loss}`);
  const params = declareParams(g, config, 'lm', dtype);
  const seq = declareSequenceInputs(g, dtype);
  const refChosen = g.input('ref_chosen', dtype, ['pairs']);
  const refRejected = g.input('ref_rejected', dtype, ['pairs']);
  const beta = g.input('beta', dtype, []);
  const labelSmoothing = g.input('label_smoothing', dtype, []);
  const { logps, counts } = sequenceLogps(g, config, params, seq, dtype);
  const [policyChosen, policyRejected] = splitPairs(g, logps);
  const [lenChosen, lenRejected] = splitPairs(g, counts);
  const out = preferenceLoss(g, loss, { policyChosen, policyRejected, refChosen, refRejected, lenChosen, lenRejected }, beta, labelSmoothing);
  for (const name of PAIR_METRICS) g.output(out.metrics[name], name);
  finishTraining(g, config, 'lm', params, out.loss);
  return g;
}

/** Scalar reward per row: the score head on the final hidden state of the row's last real token. */
function rewards(g: Graph, config: ResolvedModelConfig, params: Params, dtype: FloatType): Tensor {
  const shape = ['batch_size', 'sequence_length'];
  const inputIds = g.input('input_ids', 'int64', shape);
  const attentionMask = g.input('attention_mask', 'int64', shape);
  const positionIds = g.input('position_ids', 'int64', shape);
  // One-hot over positions rather than a Gather: the same selection, with a plain Mul/ReduceSum backward.
  const lastToken = g.input('last_token_mask', dtype, shape);
  const bias = attentionBias(g, inputIds, attentionMask, dtype);
  const hidden = trunk(g, config, params, inputIds, positionIds, bias).hidden;
  const last = g.reduceSum(g.mul(hidden, g.unsqueeze(lastToken, [2])), [1], false); // [batch, dModel]
  return g.reduceSum(g.mul(last, params.get('score.weight') as Tensor), [1], false);
}

/** Reward-model scoring graph: `rewards` [batch]. */
export function buildRewardScoreGraph(config: ResolvedModelConfig, dtype: FloatType = 'float32'): Graph {
  validateConfig(config);
  const g = new Graph('prefloop_reward_score');
  const params = declareParams(g, config, 'scalar', dtype);
  g.output(rewards(g, config, params, dtype), 'rewards');
  return g;
}

/** Bradley-Terry step: loss = mean(-log sigmoid(r(chosen) - r(rejected))); rows stacked as in buildPreferenceGraph. */
export function buildBradleyTerryGraph(config: ResolvedModelConfig, dtype: FloatType = 'float32'): Graph {
  validateConfig(config);
  const g = new Graph('prefloop_reward_bt');
  const params = declareParams(g, config, 'scalar', dtype);
  const [chosen, rejected] = splitPairs(g, rewards(g, config, params, dtype));
  const diff = g.sub(chosen, rejected);
  const loss = g.reduceMean(g.neg(g.logSigmoid(diff)), [0], false);
  g.output(g.reduceMean(g.cast(g.greater(diff, 0), dtype), [0], false), 'accuracy');
  finishTraining(g, config, 'scalar', params, loss);
  return g;
}
