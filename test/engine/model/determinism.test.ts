/**
 * Determinism: the same seed gives the same samples and bit-identical weights after N training steps, twice;
 * a different seed gives different samples; per-row temperature and stop tokens behave as documented.
 */
import type { NamedTensors, PolicyRuntime, TrainState } from '../../../engine/model/api';
import { initPolicy } from '../../../engine/model/gpt';
import { createPolicyRuntime } from '../../../engine/model/runtime';
import { TINY } from './reference';

let policy: PolicyRuntime;
beforeAll(async () => {
  policy = await createPolicyRuntime(TINY);
});
afterAll(async () => policy.dispose());

const prompts = [[1, 2, 3], [1], [1, 4], [1, 7, 7, 7, 2]];
const sampling = { temperatures: [1, 1, 0.7, 0], topK: 0, topP: 1, maxNewTokens: 8, stopTokens: [] as number[] };

function bytesEqual(a: NamedTensors, b: NamedTensors): boolean {
  for (const [name, t] of a) {
    const u = b.get(name)!;
    if (Buffer.compare(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength)) !== 0) return false;
  }
  return a.size === b.size;
}

test('initial weights depend only on the seed', () => {
  expect(bytesEqual(initPolicy(TINY, 1), initPolicy(TINY, 1))).toBe(true);
  expect(bytesEqual(initPolicy(TINY, 1), initPolicy(TINY, 2))).toBe(false);
});

test('same seed, same samples; another seed, other samples; a greedy row ignores the seed', async () => {
  const w = initPolicy(TINY, 1);
  const a = await policy.sample(w, prompts, { ...sampling, seed: 5 });
  const b = await policy.sample(w, prompts, { ...sampling, seed: 5 });
  const c = await policy.sample(w, prompts, { ...sampling, seed: 6 });
  expect(a).toEqual(b);
  expect(a.every((r) => r.length === 8)).toBe(true);
  expect(a.slice(0, 3)).not.toEqual(c.slice(0, 3));
  expect(a[3]).toEqual(c[3]);
});

test('a row stops after its first stop token, which is kept', async () => {
  const w = initPolicy(TINY, 2);
  const stopTokens = [3, 4, 5];
  const out = await policy.sample(w, prompts, { ...sampling, temperatures: [1, 1, 1, 1], maxNewTokens: 11, stopTokens, seed: 9 });
  let stopped = 0;
  for (const row of out) {
    const first = row.findIndex((t) => stopTokens.includes(t));
    if (first >= 0) {
      expect(first).toBe(row.length - 1);
      stopped++;
    } else {
      expect(row.length).toBe(11);
    }
  }
  expect(stopped).toBeGreaterThan(0);
});

async function train(steps: number): Promise<TrainState> {
  let state: TrainState = { weights: initPolicy(TINY, 3), m: new Map(), v: new Map(), step: 0 };
  const hyper = { lr: 3e-3, weightDecay: 0.01, maxGradNorm: 1 };
  for (let i = 0; i < steps; i++) {
    state = (await policy.sftStep(state, [[1, 2], [1, 3, 4]], [[5, 6, 7], [8]], hyper)).state;
    const batch = { prompts: [[1, 2], [1, 5]], chosen: [[3, 3], [9]], rejected: [[4], [6, 6, 6]], refChosen: [-5, -2.5], refRejected: [-2.4, -7] };
    state = (await policy.preferenceStep(state, batch, { ...hyper, loss: 'sigmoid', beta: 0.1, labelSmoothing: 0 })).state;
  }
  return state;
}

test('N training steps give bit-identical weights and optimizer state, twice', async () => {
  const a = await train(3);
  const b = await train(3);
  expect(a.step).toBe(6);
  expect(bytesEqual(a.weights, b.weights)).toBe(true);
  expect(bytesEqual(a.m, b.m)).toBe(true);
  expect(bytesEqual(a.v, b.v)).toBe(true);
  expect(bytesEqual(a.weights, initPolicy(TINY, 3))).toBe(false);
});
