import { exactMetrics, exactWinRate, exactWinRateBetween, optimalValue, promptExact } from '../../../engine/evaluation/exact';
import { meanAndStderr } from '../../../engine/evaluation/sampled';
import { initPolicy } from '../../../engine/model/gpt';
import { createPolicyRuntime } from '../../../engine/model/runtime';
import type { PolicyRuntime } from '../../../engine/model/api';
import { createBandit } from '../../../engine/tasks/bandit';

const eta = 0.3;
const task = createBandit({ vocab: 3, promptLength: 2, responseLength: 3, trainPrompts: 4, evalPrompts: 3, featureDim: 4, rewardScale: 1 }, 5);
const config = { vocab: 3, dModel: 16, layers: 1, heads: 2, context: 8, tiedHead: true };

/** J of an explicit distribution over the responses: sum p r - eta * sum p log(p/q). */
function bruteJ(p: number[], q: number[], r: number[]): number {
  return p.reduce((s, pi, i) => s + pi * r[i] - (pi > 0 ? eta * pi * Math.log(pi / q[i]) : 0), 0);
}

describe('exact evaluation on an enumerable bandit', () => {
  let runtime: PolicyRuntime;
  beforeAll(async () => { runtime = await createPolicyRuntime(config); });
  afterAll(async () => { await runtime.dispose(); });

  it('J(pi*) = eta * log Z equals brute force and beats every other policy tried', async () => {
    const pi0 = initPolicy({ ...config }, 11);
    const responses = task.allResponses();
    for (const x of task.evalPrompts) {
      const logq = Array.from(await runtime.sequenceLogprobs(pi0, responses.map(() => x), responses));
      const q = logq.map(Math.exp);
      expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5); // the responses are the whole space
      const r = responses.map((a) => task.gold(x, a));
      // Brute force: build the Gibbs policy explicitly and sum.
      const w = q.map((qi, i) => qi * Math.exp(r[i] / eta));
      const Z = w.reduce((a, b) => a + b, 0);
      const star = w.map((wi) => wi / Z);
      const Jstar = optimalValue(logq, r, eta);
      expect(Jstar).toBeCloseTo(bruteJ(star, q, r), 10);
      expect(Jstar).toBeCloseTo(eta * Math.log(Z), 10);
      // No other distribution does better: pi0, the greedy argmax, and mixtures toward them.
      const greedy = r.map((ri) => (ri === Math.max(...r) ? 1 : 0));
      for (const other of [q, greedy, star.map((s, i) => 0.9 * s + 0.1 * q[i]), star.map((s, i) => 0.9 * s + 0.1 * greedy[i])]) {
        expect(bruteJ(other, q, r)).toBeLessThanOrEqual(Jstar + 1e-12);
      }
      // promptExact renormalizes float32 log-probs whose exp sums to 1 within ~1e-7.
      expect(promptExact(logq, logq, r, eta).Jstar).toBeCloseTo(Jstar, 6);
    }
  });

  it('exactMetrics sums reward, KL, J, gap and win-rate over prompts exactly', async () => {
    const pi0 = initPolicy(config, 11), policy = initPolicy(config, 12);
    const m = await exactMetrics(runtime, policy, pi0, task, task.evalPrompts, eta);
    const responses = task.allResponses();
    let reward = 0, kl = 0, Jstar = 0;
    for (const x of task.evalPrompts) {
      const p = Array.from(await runtime.sequenceLogprobs(policy, responses.map(() => x), responses), Math.exp);
      const q = Array.from(await runtime.sequenceLogprobs(pi0, responses.map(() => x), responses), Math.exp);
      const r = responses.map((a) => task.gold(x, a));
      reward += p.reduce((s, pi, i) => s + pi * r[i], 0);
      kl += p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]), 0);
      Jstar += eta * Math.log(q.reduce((s, qi, i) => s + qi * Math.exp(r[i] / eta), 0));
    }
    const n = task.evalPrompts.length;
    expect(m.exact).toBe(true);
    expect(m.reward).toBeCloseTo(reward / n, 5);
    expect(m.kl).toBeCloseTo(kl / n, 5);
    expect(m.kl).toBeGreaterThan(0);
    expect(m.J).toBeCloseTo(reward / n - eta * (kl / n), 5);
    expect(m.Jstar).toBeCloseTo(Jstar / n, 5);
    expect(m.gap).toBeCloseTo(Jstar / n - m.J, 6);
    expect(m.gap).toBeCloseTo(m.Jstar! - m.J, 12);
    expect(m.gap).toBeGreaterThan(0);
    expect(m.responseLength).toBeCloseTo(3, 5);
    const self = await exactMetrics(runtime, pi0, pi0, task, task.evalPrompts, eta);
    expect(self.kl).toBe(0);
    expect(self.winRateVsInitial).toBeCloseTo(0.5, 10);
  });

  it('scores rows of several prompts per call and stops between calls once checkAborted throws', async () => {
    // 4^5 = 1024 responses per prompt, 3 prompts: three calls of 1024 rows per policy.
    const big = createBandit({ vocab: 4, promptLength: 2, responseLength: 5, trainPrompts: 4, evalPrompts: 3, featureDim: 4, rewardScale: 1 }, 6);
    const bigConfig = { ...config, vocab: 4 };
    const bigRuntime = await createPolicyRuntime(bigConfig);
    try {
      const calls: number[] = [];
      const counting: PolicyRuntime = { ...bigRuntime, sequenceLogprobs: (w, p, r) => { calls.push(p.length); return bigRuntime.sequenceLogprobs(w, p, r); } };
      const pi0 = initPolicy(bigConfig, 11), policy = initPolicy(bigConfig, 12);
      const whole = await exactMetrics(counting, policy, pi0, big, big.evalPrompts, eta);
      expect(calls).toEqual([1024, 1024, 1024, 1024, 1024, 1024]);
      // The same numbers as one prompt at a time.
      const responses = big.allResponses();
      let reward = 0;
      for (const x of big.evalPrompts) {
        const p = Array.from(await bigRuntime.sequenceLogprobs(policy, responses.map(() => x), responses), Math.exp);
        reward += p.reduce((a, pi, i) => a + pi * big.gold(x, responses[i]), 0);
      }
      expect(whole.reward).toBeCloseTo(reward / 3, 5);

      calls.length = 0;
      let checks = 0;
      const stop = () => { if (++checks > 1) throw new Error('cancelled'); };
      await expect(exactMetrics(counting, policy, pi0, big, big.evalPrompts, eta, stop)).rejects.toThrow('cancelled');
      expect(calls).toEqual([1024]);
    } finally {
      await bigRuntime.dispose();
    }
  });

  it('win-rate counts ties as half and is 1 for a policy that always beats the other', () => {
    expect(exactWinRate([0, 0, 1], [1, 0, 0], [0, 1, 2])).toBe(1);
    expect(exactWinRate([0.5, 0.5], [0.5, 0.5], [1, 1])).toBe(0.5);
    expect(exactWinRate([0.5, 0.5, 0], [0, 0.5, 0.5], [0, 1, 2])).toBeCloseTo(0.5 * 0 + 0.5 * (0.25), 12);
  });

  it('the sampled KL estimate reports a standard error', () => {
    const { mean, stderr } = meanAndStderr([1, 2, 3, 4]);
    expect(mean).toBe(2.5);
    expect(stderr).toBeCloseTo(Math.sqrt(((1.5 ** 2 + 0.5 ** 2) * 2) / 3 / 4), 12);
  });
});

describe('win-rate between two checkpoints', () => {
  it('is symmetric: W(a, b) + W(b, a) = 1, and W(a, a) = 1/2', async () => {
    const runtime = await createPolicyRuntime(config);
    const a = initPolicy(config, 21), b = initPolicy(config, 22);
    const ab = await exactWinRateBetween(runtime, a, b, task, task.evalPrompts);
    const ba = await exactWinRateBetween(runtime, b, a, task, task.evalPrompts);
    expect(ab + ba).toBeCloseTo(1, 10);
    expect(await exactWinRateBetween(runtime, a, a, task, task.evalPrompts)).toBeCloseTo(0.5, 10);
    await runtime.dispose();
  });
});
