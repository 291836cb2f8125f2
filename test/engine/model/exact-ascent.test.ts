/**
 * Gradient ascent on the exact J (engine/model/exact-ascent.ts): the J, reward and KL its graph computes are the
 * exact evaluation's (engine/evaluation/exact.ts, independent TypeScript sums), micro-batches of prompts give the
 * same step as one batch, and steps up the exact gradient raise J toward J* without passing it.
 * (The graph's gradient itself is checked against finite differences in gradcheck.test.ts.)
 */
import type { NamedTensors, PolicyRuntime, TrainState } from '../../../engine/model/api';
import { createExactAscent, type ExactObjective } from '../../../engine/model/exact-ascent';
import { initPolicy } from '../../../engine/model/gpt';
import { createPolicyRuntime } from '../../../engine/model/runtime';
import { exactMetrics, normalize } from '../../../engine/evaluation/exact';
import { resolvedModelConfig } from '../../../engine/steps/common';
import { taskFromSpec } from '../../../engine/tasks';
import { tinySpec } from '../steps/tiny-spec';
import { maxAbsDiff } from './reference';

const spec = tinySpec();
const task = taskFromSpec(spec);
const config = resolvedModelConfig(spec, task);
const eta = 0.3;
const prompts = task.evalPrompts;
const responses = task.allResponses();
const pi0 = initPolicy(config, 1);
// Larger than init, so that it is far from pi0 and the KL term counts.
const start: NamedTensors = new Map([...initPolicy(config, 2)].map(([k, t]) => [k, { ...t, data: t.data.map((x) => x * 8) }]));
const hyper = { lr: 3e-2, weightDecay: 0, maxGradNorm: 1 };

let runtime: PolicyRuntime;
let objective: ExactObjective;
beforeAll(async () => {
  runtime = await createPolicyRuntime(config);
  const refLogp = [];
  for (const x of prompts) {
    const p = normalize(await runtime.sequenceLogprobs(pi0, responses.map(() => x), responses));
    refLogp.push(Float64Array.from(p, Math.log));
  }
  objective = { prompts, responses, rewards: prompts.map((x) => responses.map((a) => task.gold(x, a))), refLogp, eta };
});
afterAll(async () => runtime.dispose());

const fresh = (weights: NamedTensors): TrainState => ({ weights, m: new Map(), v: new Map(), step: 0 });

describe('exact J ascent', () => {
  it('reports the exact evaluation\'s J, reward and KL at the weights it starts from', async () => {
    const ascent = createExactAscent(config);
    const out = await ascent.step(fresh(start), objective, hyper);
    const e = await exactMetrics(runtime, start, pi0, task, prompts, eta);
    expect(e.kl).toBeGreaterThan(0.01); // start is not pi0, so the KL term is exercised
    expect(out.J).toBeCloseTo(e.J, 5);
    expect(out.reward).toBeCloseTo(e.reward, 5);
    expect(out.kl).toBeCloseTo(e.kl, 5);
    ascent.dispose();
  });

  it('a step run in micro-batches of prompts equals the step on all prompts at once', async () => {
    const ascent = createExactAscent(config);
    const whole = await ascent.step(fresh(start), objective, hyper);
    const split = await ascent.step(fresh(start), objective, { ...hyper, promptsPerMicroBatch: 3 });
    expect(split.J).toBeCloseTo(whole.J, 5);
    expect(split.grad_norm).toBeCloseTo(whole.grad_norm, 5);
    // After one step from zero moments, m = (1 - beta1) * the (clipped) gradient: the two gradients agree.
    let worst = 0, scale = 0;
    for (const [name, t] of whole.state.m) {
      worst = Math.max(worst, maxAbsDiff(split.state.m.get(name)!.data, t.data));
      scale = Math.max(scale, maxAbsDiff(t.data, new Float32Array(t.data.length)));
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1e-5 * scale);
    ascent.dispose();
  });

  it('steps up the exact gradient raise J from pi0 toward J* and never past it', async () => {
    const ascent = createExactAscent(config);
    const e0 = await exactMetrics(runtime, pi0, pi0, task, prompts, eta);
    let state = fresh(pi0);
    const Js: number[] = [];
    for (let s = 0; s < 40; s++) {
      const out = await ascent.step(state, objective, hyper);
      Js.push(out.J);
      state = out.state;
    }
    const end = await exactMetrics(runtime, state.weights, pi0, task, prompts, eta);
    expect(Js[0]).toBeCloseTo(e0.J, 5);
    expect(end.J).toBeLessThanOrEqual(e0.Jstar! + 1e-6);
    // Most of the way from J(pi0) to J* in 40 steps on this tiny task (measured 0.96 of it; 0.5 leaves slack).
    expect((end.J - e0.J) / (e0.Jstar! - e0.J)).toBeGreaterThan(0.5);
    ascent.dispose();
  });
});
