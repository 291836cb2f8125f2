/**
 * Gradient accumulation (accumulate.ts): an optimizer step run as k micro-batches of b rows equals one step on the
 * whole batch of k*b rows within float rounding, for every preference loss and for SFT, with clipping active (so
 * the clip must see the summed gradient) and uneven micro-batches (so the weights must be each one's share); ORT
 * is fed micro-batch shapes only, so activations grow with b, not k*b; and the result is bit-identical run to run.
 */
import * as ort from 'onnxruntime-node';
import type { NamedTensors, PolicyRuntime, PreferenceBatch, PreferenceHyper, TrainState } from '../../../engine/model/api';
import { initPolicy } from '../../../engine/model/gpt';
import { createPolicyRuntime } from '../../../engine/model/runtime';
import { LOSSES } from '../../../schemas/campaign';
import { maxAbsDiff, testRandom, TINY } from './reference';

let policy: PolicyRuntime;
beforeAll(async () => {
  policy = await createPolicyRuntime(TINY);
});
afterAll(async () => policy.dispose());

const rand = testRandom(7);
const tokens = (n: number) => Array.from({ length: n }, () => 1 + Math.floor(rand() * (TINY.vocab - 1)));
const PAIRS = 6;
// Lengths differ row to row, so micro-batches differ in width and in response tokens.
const batch: PreferenceBatch = {
  prompts: Array.from({ length: PAIRS }, (_, i) => tokens(1 + (i % 3))),
  chosen: Array.from({ length: PAIRS }, (_, i) => tokens(1 + ((i * 5) % 7))),
  rejected: Array.from({ length: PAIRS }, (_, i) => tokens(2 + ((i * 3) % 5))),
  refChosen: Array.from({ length: PAIRS }, () => -8 - rand() * 4),
  refRejected: Array.from({ length: PAIRS }, () => -8 - rand() * 4),
};
// A small maxGradNorm keeps clipping active: clipping each micro-batch's gradient instead of the sum would differ.
const base = { beta: 0.5, labelSmoothing: 0.1, lr: 1e-2, weightDecay: 0.1, maxGradNorm: 0.05 };

function stateAfterOneStep(): TrainState {
  // Non-zero AdamW moments (as mid-training): the compared step is not the first, whose update is sign(g) * lr.
  return { weights: initPolicy(TINY, 3), m: new Map(), v: new Map(), step: 0 };
}

let warm: TrainState;
beforeAll(async () => {
  warm = (await policy.preferenceStep(stateAfterOneStep(), batch, { ...base, loss: 'sigmoid' })).state;
});

function expectClose(a: NamedTensors, b: NamedTensors, tol: number): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  let worst = 0;
  let scale = 0;
  for (const [name, t] of a) {
    worst = Math.max(worst, maxAbsDiff(t.data, b.get(name)!.data));
    scale = Math.max(scale, maxAbsDiff(t.data, new Float32Array(t.data.length)));
  }
  expect(scale).toBeGreaterThan(0);
  expect(worst).toBeLessThanOrEqual(tol * scale);
}

function expectStatesClose(big: TrainState, acc: TrainState, from: TrainState): void {
  expect(acc.step).toBe(from.step + 1); // AdamW stepped once, not once per micro-batch
  expectClose(big.m, acc.m, 1e-5);
  expectClose(big.v, acc.v, 1e-5);
  // Weights moved (by up to lr per step); the two paths agree to a small fraction of that move.
  let moved = 0;
  for (const [name, t] of big.weights) moved = Math.max(moved, maxAbsDiff(t.data, from.weights.get(name)!.data));
  expect(moved).toBeGreaterThan(base.lr / 2);
  let worst = 0;
  for (const [name, t] of big.weights) worst = Math.max(worst, maxAbsDiff(t.data, acc.weights.get(name)!.data));
  expect(worst).toBeLessThan(1e-4 * base.lr);
}

describe.each(LOSSES)('preference loss %s: micro-batches equal one big batch', (loss) => {
  test.each([2, 4])('micro-batches of %i pairs', async (microBatch) => {
    const hyper: PreferenceHyper = { ...base, loss };
    const big = await policy.preferenceStep(warm, batch, hyper);
    const acc = await policy.preferenceStep(warm, batch, { ...hyper, microBatch });
    expect(big.metrics.grad_norm).toBeGreaterThan(base.maxGradNorm); // clipping is active
    for (const [name, value] of Object.entries(big.metrics)) {
      expect(Math.abs(acc.metrics[name as keyof typeof big.metrics] - value)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(value)));
    }
    expectStatesClose(big.state, acc.state, warm);
  });
});

test('SFT: micro-batches weigh their share of response tokens and equal one big batch', async () => {
  const prompts = batch.prompts.concat(batch.prompts);
  const responses = batch.chosen.concat(batch.rejected);
  const hyper = { lr: base.lr, weightDecay: base.weightDecay, maxGradNorm: base.maxGradNorm };
  const big = await policy.sftStep(warm, prompts, responses, hyper);
  for (const microBatch of [3, 5]) {
    const acc = await policy.sftStep(warm, prompts, responses, { ...hyper, microBatch });
    expect(big.grad_norm).toBeGreaterThan(base.maxGradNorm);
    expect(Math.abs(acc.loss - big.loss)).toBeLessThan(1e-5 * big.loss);
    expect(Math.abs(acc.grad_norm - big.grad_norm)).toBeLessThan(1e-5 * big.grad_norm);
    expectStatesClose(big.state, acc.state, warm);
  }
});

describe('what ORT is fed', () => {
  let fed: Array<Record<string, readonly number[]>>;
  let spy: jest.SpyInstance;
  beforeEach(() => {
    fed = [];
    // The typings declare InferenceSession as an interface plus a factory; at run time it is a class.
    const proto = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
    const run = proto.run;
    spy = jest.spyOn(proto, 'run').mockImplementation(function (this: ort.InferenceSession, feeds: ort.InferenceSession.FeedsType, ...rest: unknown[]) {
      fed.push(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, (t as ort.Tensor).dims])));
      return (run as (...a: unknown[]) => Promise<ort.InferenceSession.ReturnType>).call(this, feeds, ...rest);
    } as typeof run);
  });
  afterEach(() => spy.mockRestore());

  const rowsPerRun = () => fed.filter((f) => f.input_ids).map((f) => f.input_ids[0]);

  test('a step of k micro-batches of b pairs runs k sequence graphs of 2b rows and nothing else', async () => {
    const b = 2;
    for (const k of [1, 2, 4]) {
      const wide: PreferenceBatch = {
        prompts: [], chosen: [], rejected: [], refChosen: [], refRejected: [],
      };
      for (let i = 0; i < k * b; i++) {
        const j = i % PAIRS;
        wide.prompts.push(batch.prompts[j]);
        wide.chosen.push(batch.chosen[j]);
        wide.rejected.push(batch.rejected[j]);
        wide.refChosen.push(batch.refChosen[j]);
        wide.refRejected.push(batch.refRejected[j]);
      }
      fed = [];
      await policy.preferenceStep(warm, wide, { ...base, loss: 'sigmoid', microBatch: b });
      // Nothing else runs in ORT: clipping + AdamW are applied once, to the summed gradients, in TypeScript (adamw.ts).
      expect(fed.length).toBe(k);
      expect(rowsPerRun()).toEqual(new Array(k).fill(2 * b));
    }
    fed = [];
    await policy.preferenceStep(warm, batch, { ...base, loss: 'sigmoid' });
    expect(rowsPerRun()).toEqual([2 * PAIRS]); // without microBatch: the whole batch at once, as before
  });

  test('SFT micro-batches of 5 rows over 12 rows: 5, 5, 2', async () => {
    await policy.sftStep(warm, batch.prompts.concat(batch.prompts), batch.chosen.concat(batch.rejected), { lr: 1e-3, weightDecay: 0, maxGradNorm: 1, microBatch: 5 });
    expect(rowsPerRun()).toEqual([5, 5, 2]);
  });
});

test('accumulated steps are bit-identical run to run and leave the caller\'s state unchanged', async () => {
  const hyper: PreferenceHyper = { ...base, loss: 'ipo', microBatch: 4 };
  const before = [...warm.weights.values(), ...warm.m.values(), ...warm.v.values()].map((t) => t.data.slice());
  const a = await policy.preferenceSteps(warm, [{ batch, hyper }, { batch, hyper: { ...hyper, lr: 5e-3 } }]);
  const b = await policy.preferenceSteps(warm, [{ batch, hyper }, { batch, hyper: { ...hyper, lr: 5e-3 } }]);
  for (const part of ['weights', 'm', 'v'] as const) {
    for (const [name, t] of a.state[part]) expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(b.state[part].get(name)!.data.buffer))).toBe(true);
  }
  expect(a.metrics).toEqual(b.metrics);
  // The second step of a call writes into the arrays the first one made, never into the caller's state.
  const after = [...warm.weights.values(), ...warm.m.values(), ...warm.v.values()].map((t) => t.data);
  after.forEach((data, i) => expect(data).toEqual(before[i]));
});

test('a microBatch that is not a positive integer is refused, naming the field', async () => {
  await expect(policy.preferenceStep(warm, batch, { ...base, loss: 'sigmoid', microBatch: 0 })).rejects.toThrow(/microBatch must be a positive integer/);
  await expect(policy.sftStep(warm, batch.prompts, batch.chosen, { lr: 1e-3, weightDecay: 0, maxGradNorm: 1, microBatch: 1.5 })).rejects.toThrow(/microBatch must be a positive integer/);
});
