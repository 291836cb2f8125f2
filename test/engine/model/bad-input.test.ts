/**
 * Bad input: wrong shapes, wrong dtypes, missing or extra tensors, token ids out of range, over-long rows,
 * an unknown loss and bad hyper-parameters are each a clear error naming the field, and the runtime keeps
 * working afterwards (no crash, no poisoned session).
 */
import type { NamedTensors, PolicyRuntime, PreferenceHyper, RewardRuntime, TrainState } from '../../../engine/model/api';
import { initPolicy, initRewardModel } from '../../../engine/model/gpt';
import { createPolicyRuntime } from '../../../engine/model/runtime';
import { createRewardRuntime } from '../../../engine/model/reward-runtime';
import { TINY } from './reference';

let policy: PolicyRuntime;
let reward: RewardRuntime;
const weights = initPolicy(TINY, 0);
beforeAll(async () => {
  policy = await createPolicyRuntime(TINY);
  reward = await createRewardRuntime(TINY);
});
afterAll(async () => {
  await policy.dispose();
  await reward.dispose();
});

function edited(edit: (w: NamedTensors) => void): NamedTensors {
  const w: NamedTensors = new Map([...weights].map(([k, t]) => [k, { ...t, shape: t.shape.slice() }]));
  edit(w);
  return w;
}

const sampling = { temperatures: [1], topK: 0, topP: 1, maxNewTokens: 4, stopTokens: [], seed: 1 };
const hyper: PreferenceHyper = { loss: 'sigmoid', beta: 0.1, labelSmoothing: 0, lr: 1e-3, weightDecay: 0, maxGradNorm: 1 };
const state = (): TrainState => ({ weights, m: new Map(), v: new Map(), step: 0 });
const batch = { prompts: [[1, 2]], chosen: [[3]], rejected: [[4]], refChosen: [-2], refRejected: [-2] };

test('invalid model config', async () => {
  await expect(createPolicyRuntime({ ...TINY, heads: 3 })).rejects.toThrow(/dModel \(16\) must be divisible by heads \(3\)/);
  await expect(createPolicyRuntime({ ...TINY, vocab: 0 })).rejects.toThrow(/vocab must be a positive integer/);
  await expect(createPolicyRuntime(TINY, { provider: 'tpu' as never, fallback: 'none', threads: 1 })).rejects.toThrow(/provider 'tpu' is not one of cpu, cuda, webgpu/);
});

test('weights of the wrong shape, dtype, or names', async () => {
  const wrongShape = edited((w) => {
    const t = w.get('transformer.h.0.attn.c_attn.weight')!;
    w.set('transformer.h.0.attn.c_attn.weight', { ...t, shape: [48, 16] });
  });
  await expect(policy.sequenceLogprobs(wrongShape, [[1]], [[2]])).rejects.toThrow(/'transformer.h.0.attn.c_attn.weight' has shape \[48,16\] but the model expects \[16,48\]/);
  const wrongDtype = edited((w) => {
    const t = w.get('transformer.wte.weight')!;
    w.set('transformer.wte.weight', { ...t, data: Float64Array.from(t.data) as unknown as Float32Array });
  });
  await expect(policy.sample(wrongDtype, [[1]], sampling)).rejects.toThrow(/'transformer.wte.weight' must be float32/);
  await expect(policy.sample(edited((w) => w.delete('transformer.ln_f.bias')), [[1]], sampling)).rejects.toThrow(/missing tensor 'transformer.ln_f.bias'/);
  await expect(policy.sample(edited((w) => w.set('lm_head.weight', w.get('transformer.wte.weight')!)), [[1]], sampling)).rejects.toThrow(/unexpected tensor 'lm_head.weight'/);
  // A policy checkpoint is not a reward model: the scalar head is missing.
  await expect(reward.score(weights, [[1]], [[2]])).rejects.toThrow(/missing tensor 'score.weight'/);
});

test('token ids out of range and rows that do not fit the context', async () => {
  await expect(policy.sequenceLogprobs(weights, [[1, 11]], [[2]])).rejects.toThrow(/prompts\[0\]\[1\] = 11 is not a token id of this model \(integers 0..10\)/);
  await expect(policy.sequenceLogprobs(weights, [[1]], [[-1]])).rejects.toThrow(/responses\[0\]\[0\] = -1/);
  await expect(policy.sample(weights, [[1, 2.5]], sampling)).rejects.toThrow(/prompts\[0\]\[1\] = 2.5/);
  await expect(policy.sequenceLogprobs(weights, [[1, 2, 3, 4, 5, 6, 7, 8]], [[1, 2, 3, 4, 5, 6, 7, 8, 9]])).rejects.toThrow(/17 tokens exceeds the model context of 16/);
  await expect(policy.sample(weights, [[1, 2, 3]], { ...sampling, maxNewTokens: 14 })).rejects.toThrow(/maxNewTokens 14 exceeds the model context of 16/);
  await expect(policy.sample(weights, [[]], sampling)).rejects.toThrow(/prompts\[0\] is empty/);
  await expect(policy.sequenceLogprobs(weights, [[1], [2]], [[3]])).rejects.toThrow(/same number of rows/);
  await expect(policy.sample(weights, [[1], [2]], sampling)).rejects.toThrow(/one temperature per prompt row \(2\)/);
  await expect(policy.sample(weights, [[1]], { ...sampling, stopTokens: [99] })).rejects.toThrow(/stopTokens\[0\]\[0\] = 99/);
});

test('unknown loss, bad hyper-parameters, inconsistent preference batches', async () => {
  await expect(policy.preferenceStep(state(), batch, { ...hyper, loss: 'kto' as never })).rejects.toThrow(/unknown preference loss 'kto'/);
  await expect(policy.preferenceStep(state(), batch, { ...hyper, beta: 0 })).rejects.toThrow(/beta must be a finite number > 0/);
  await expect(policy.preferenceStep(state(), batch, { ...hyper, labelSmoothing: 0.5 })).rejects.toThrow(/labelSmoothing must be in \[0, 0.5\)/);
  await expect(policy.sftStep(state(), [[1]], [[2]], { lr: -1, weightDecay: 0, maxGradNorm: 1 })).rejects.toThrow(/lr must be a finite number >= 0/);
  await expect(policy.preferenceStep(state(), { ...batch, refChosen: [] }, hyper)).rejects.toThrow(/refChosen must hold one number per pair \(1\)/);
  await expect(policy.preferenceStep(state(), { ...batch, refRejected: [NaN] }, hyper)).rejects.toThrow(/refRejected\[0\] must be a finite number/);
  await expect(policy.preferenceStep(state(), { ...batch, rejected: [[4], [5]] }, hyper)).rejects.toThrow(/rejected \(2 rows\)/);
  const badMoments: TrainState = { ...state(), m: edited((w) => w.delete('transformer.wpe.weight')), v: weights };
  await expect(policy.sftStep(badMoments, [[1]], [[2]], hyper)).rejects.toThrow(/optimizer state m: missing tensor 'transformer.wpe.weight'/);
});

test('the runtime still works after every rejected call', async () => {
  const logps = await policy.sequenceLogprobs(weights, [[1, 2]], [[3, 4]]);
  expect(logps[0]).toBeLessThan(0);
  const r = await policy.preferenceStep(state(), batch, hyper);
  expect(Number.isFinite(r.metrics.loss)).toBe(true);
  const scores = await reward.score(initRewardModel(TINY, 0), [[1]], [[2]]);
  expect(Number.isFinite(scores[0])).toBe(true);
});
