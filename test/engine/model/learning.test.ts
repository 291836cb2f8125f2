/**
 * Learning works: SFT on a small corpus lowers held-out loss well below the uniform baseline log(vocab), and a
 * few preference steps on fixed pairs raise rewards/margins and rewards/accuracies for every loss.
 */
import type { PolicyRuntime, ResolvedModelConfig, TrainState } from '../../../engine/model/api';
import { initPolicy } from '../../../engine/model/gpt';
import { createPolicyRuntime } from '../../../engine/model/runtime';
import { LOSSES } from '../../../schemas/campaign';

const CONFIG: ResolvedModelConfig = { vocab: 12, dModel: 32, layers: 2, heads: 4, context: 16, tiedHead: true };
const BOS = 1;
const COUNT = 10; // tokens 2..11 form a cycle

let policy: PolicyRuntime;
beforeAll(async () => {
  policy = await createPolicyRuntime(CONFIG);
});
afterAll(async () => policy.dispose());

/** Prompt: BOS, a start token and a stride; response: the next 6 tokens of the arithmetic cycle. */
function example(start: number, stride: number): [number[], number[]] {
  const response = Array.from({ length: 6 }, (_, i) => 2 + ((start + stride * (i + 1)) % COUNT));
  return [[BOS, 2 + start, 2 + stride], response];
}

async function heldOutLoss(state: TrainState, rows: Array<[number[], number[]]>): Promise<number> {
  const logps = await policy.sequenceLogprobs(state.weights, rows.map((r) => r[0]), rows.map((r) => r[1]));
  const tokens = rows.reduce((a, r) => a + r[1].length, 0);
  return -logps.reduce((a, b) => a + b, 0) / tokens;
}

test('SFT lowers held-out loss well below log(vocab)', async () => {
  const all: Array<[number[], number[]]> = [];
  for (let start = 0; start < COUNT; start++) for (const stride of [1, 2, 3, 4, 5]) all.push(example(start, stride));
  // Held-out (start, stride) combinations are never trained on; every stride still occurs in training.
  const heldOut = all.filter((_, i) => i % 7 === 3);
  const train = all.filter((_, i) => i % 7 !== 3);
  let state: TrainState = { weights: initPolicy(CONFIG, 0), m: new Map(), v: new Map(), step: 0 };
  const before = await heldOutLoss(state, heldOut);
  expect(Math.abs(before - Math.log(CONFIG.vocab))).toBeLessThan(0.2); // GPT-2 init is close to uniform
  const hyper = { lr: 1e-2, weightDecay: 0.1, maxGradNorm: 1 };
  let lastTrainLoss = Infinity;
  for (let step = 0; step < 200; step++) {
    const batch = Array.from({ length: 8 }, (_, k) => train[(step * 8 + k) % train.length]);
    const r = await policy.sftStep(state, batch.map((b) => b[0]), batch.map((b) => b[1]), hyper);
    state = r.state;
    lastTrainLoss = r.loss;
    expect(Number.isFinite(r.grad_norm)).toBe(true);
  }
  const after = await heldOutLoss(state, heldOut);
  expect(lastTrainLoss).toBeLessThan(0.5 * Math.log(CONFIG.vocab));
  expect(after).toBeLessThan(0.4 * Math.log(CONFIG.vocab));
});

const pairs = {
  prompts: [[BOS, 2], [BOS, 3, 4], [BOS, 5], [BOS, 6, 6]],
  chosen: [[7, 8], [9], [10, 11, 2], [3]],
  rejected: [[8, 7], [4, 4], [2], [11, 10]],
};

for (const loss of LOSSES) {
  test(`a few ${loss} steps raise rewards/margins and rewards/accuracies`, async () => {
    const weights = initPolicy(CONFIG, 1);
    const refChosen = Array.from(await policy.sequenceLogprobs(weights, pairs.prompts, pairs.chosen));
    const refRejected = Array.from(await policy.sequenceLogprobs(weights, pairs.prompts, pairs.rejected));
    let state: TrainState = { weights, m: new Map(), v: new Map(), step: 0 };
    const hyper = { loss, beta: loss === 'ipo' ? 0.5 : 0.1, labelSmoothing: loss === 'robust' ? 0.1 : 0, lr: 1e-2, weightDecay: 0, maxGradNorm: 10 };
    const first = await policy.preferenceStep(state, { ...pairs, refChosen, refRejected }, hyper);
    // The policy starts as the reference: zero implicit rewards, no pair ranked right yet.
    expect(Math.abs(first.metrics['rewards/margins'])).toBeLessThan(1e-4);
    expect(first.metrics['rewards/accuracies']).toBe(0);
    state = first.state;
    let last = first;
    for (let i = 0; i < 8; i++) {
      last = await policy.preferenceStep(state, { ...pairs, refChosen, refRejected }, hyper);
      state = last.state;
    }
    expect(last.metrics['rewards/margins']).toBeGreaterThan(first.metrics['rewards/margins'] + 0.05);
    expect(last.metrics['rewards/accuracies']).toBe(1);
    expect(last.metrics.loss).toBeLessThan(first.metrics.loss);
    // logps/* are the policy's own sequence log-probs, as sequenceLogprobs computes them.
    expect(Math.abs(first.metrics['logps/chosen'] - refChosen.reduce((a, b) => a + b, 0) / 4)).toBeLessThan(1e-4);
    expect(Math.abs(first.metrics['logps/rejected'] - refRejected.reduce((a, b) => a + b, 0) / 4)).toBeLessThan(1e-4);
  });
}
