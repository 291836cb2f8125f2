/**
 * The scalar-head reward model: a score does not depend on how a row is padded in its batch, and
 * Bradley-Terry steps learn a preference (responses containing token 3 beat those without).
 */
import type { RewardRuntime, TrainState } from '../../../engine/model/api';
import { initRewardModel } from '../../../engine/model/gpt';
import { createRewardRuntime } from '../../../engine/model/reward-runtime';
import { TINY, testRandom } from './reference';

let reward: RewardRuntime;
beforeAll(async () => {
  reward = await createRewardRuntime(TINY);
});
afterAll(async () => reward.dispose());

test('a score is the same alone and inside a right-padded batch', async () => {
  const w = initRewardModel(TINY, 4);
  const alone = await reward.score(w, [[1, 2]], [[5, 6]]);
  const batched = await reward.score(w, [[1, 2], [1, 9, 9, 9]], [[5, 6], [7, 7, 7, 7, 7, 7]]);
  expect(Math.abs(alone[0] - batched[0])).toBeLessThan(1e-5);
  expect(batched[0]).not.toBe(batched[1]);
});

test('Bradley-Terry steps learn to rank chosen above rejected', async () => {
  const rand = testRandom(3);
  const token = () => 4 + Math.floor(rand() * 7); // 4..10, never 3
  const prompts: number[][] = [];
  const chosen: number[][] = [];
  const rejected: number[][] = [];
  for (let i = 0; i < 16; i++) {
    prompts.push([1, token()]);
    const base = [token(), token(), token()];
    const c = base.slice();
    c[Math.floor(rand() * 3)] = 3;
    chosen.push(c);
    rejected.push(base);
  }
  let state: TrainState = { weights: initRewardModel(TINY, 0), m: new Map(), v: new Map(), step: 0 };
  const hyper = { lr: 1e-2, weightDecay: 0, maxGradNorm: 1 };
  const first = await reward.btStep(state, prompts, chosen, rejected, hyper);
  expect(Math.abs(first.loss - Math.log(2))).toBeLessThan(0.05); // untrained: r(chosen) ~ r(rejected)
  state = first.state;
  let last = first;
  for (let i = 0; i < 30; i++) {
    last = await reward.btStep(state, prompts, chosen, rejected, hyper);
    state = last.state;
  }
  expect(last.loss).toBeLessThan(0.3);
  expect(last.accuracy).toBe(1);
  // Held-out pairs of the same kind are ranked right too.
  const heldPrompts = [[1, 5], [1, 8], [1, 10]];
  const good = await reward.score(state.weights, heldPrompts, [[5, 3, 9], [3, 4, 4], [10, 10, 3]]);
  const bad = await reward.score(state.weights, heldPrompts, [[5, 6, 9], [7, 4, 4], [10, 10, 8]]);
  good.forEach((g, i) => expect(g).toBeGreaterThan(bad[i]));
});
