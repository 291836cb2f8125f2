/**
 * The steps' runtime cache: a step leases a runtime of its own, gives it back with dispose(), and the next step
 * reuses it; disposeRuntimes() ends them all. Off the event loop the leased runtime computes what an inline one does.
 */
import { initPolicy } from '../../../engine/model/gpt';
import type { ResolvedModelConfig, RuntimeOptions, SampleOptions, TrainState } from '../../../engine/model/api';
import { disposeRuntimes, hasSparePolicyThread, idleRuntimeCount, leasePolicyRuntime, prewarmPolicyThread } from '../../../engine/runtime/policy-runtimes';

const config: ResolvedModelConfig = { vocab: 5, dModel: 16, layers: 1, heads: 2, context: 8, tiedHead: true };
const options: RuntimeOptions = { provider: 'cpu', fallback: 'none', threads: 1 };
const sampling: SampleOptions = { temperatures: [1, 1], topK: 0, topP: 1, maxNewTokens: 3, stopTokens: [], seed: 11 };

afterEach(() => disposeRuntimes());

test('steps running at once hold different runtimes; a given-back runtime serves the next step', async () => {
  const [a, b] = await Promise.all([leasePolicyRuntime(config, options, 'inline'), leasePolicyRuntime(config, options, 'inline')]);
  expect(idleRuntimeCount()).toBe(0);
  await a.dispose();
  await a.dispose();
  expect(idleRuntimeCount()).toBe(1);
  const c = await leasePolicyRuntime(config, options, 'inline');
  expect(idleRuntimeCount()).toBe(0);
  await Promise.all([b.dispose(), c.dispose()]);
  expect(idleRuntimeCount()).toBe(2);
  // Another model config is another cache entry.
  const other = await leasePolicyRuntime({ ...config, dModel: 8 }, options, 'inline');
  expect(idleRuntimeCount()).toBe(2);
  await other.dispose();
  expect(idleRuntimeCount()).toBe(3);
  await disposeRuntimes();
  expect(idleRuntimeCount()).toBe(0);
});

test('a lease refuses calls after it was given back', async () => {
  const lease = await leasePolicyRuntime(config, options, 'inline');
  await lease.dispose();
  await expect(lease.sample(initPolicy(config, 1), [[1, 2]], sampling)).rejects.toThrow(/after the step gave its lease back/);
});

test('a worker-thread lease samples what an inline one does, and a runtime leased during disposeRuntimes() ends when given back', async () => {
  const weights = initPolicy(config, 2);
  const inline = await leasePolicyRuntime(config, options, 'inline');
  const hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  const prompts = [[1, 2], [3, 4]];
  expect(await hosted.sample(weights, prompts, sampling)).toEqual(await inline.sample(weights, prompts, sampling));
  await disposeRuntimes();
  // Still leased: it keeps working until its step gives it back, then it is disposed rather than cached.
  expect(Array.from(await hosted.sequenceLogprobs(weights, prompts, [[0], [1]]))).toEqual(Array.from(await inline.sequenceLogprobs(weights, prompts, [[0], [1]])));
  await Promise.all([hosted.dispose(), inline.dispose()]);
  expect(idleRuntimeCount()).toBe(0);
});

test('a prewarmed thread serves the first worker-thread lease, whatever its config, and computes what an inline runtime does', async () => {
  prewarmPolicyThread();
  prewarmPolicyThread();
  expect(hasSparePolicyThread()).toBe(true);
  const inline = await leasePolicyRuntime(config, options, 'inline');
  // An inline lease leaves the spare thread waiting.
  expect(hasSparePolicyThread()).toBe(true);
  const hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  expect(hasSparePolicyThread()).toBe(false);
  expect(hosted.config).toEqual(inline.config);
  const weights = initPolicy(config, 3);
  const prompts = [[1, 2], [3, 4]];
  expect(await hosted.sample(weights, prompts, sampling)).toEqual(await inline.sample(weights, prompts, sampling));
  await Promise.all([hosted.dispose(), inline.dispose()]);
  // Given back, it is cached like any other thread-hosted runtime.
  expect(idleRuntimeCount()).toBe(2);
});

test('a bad config fails the lease that takes the spare thread, with the runtime\'s own error', async () => {
  prewarmPolicyThread();
  await expect(leasePolicyRuntime({ ...config, heads: 3 }, options, 'worker-thread')).rejects.toThrow(/heads/);
  expect(hasSparePolicyThread()).toBe(false);
  expect(idleRuntimeCount()).toBe(0);
});

test('disposeRuntimes() ends a spare thread nobody took', async () => {
  prewarmPolicyThread();
  await disposeRuntimes();
  expect(hasSparePolicyThread()).toBe(false);
});

test('thread-hosted training steps hand back their state in shared memory and train bit-for-bit as inline ones', async () => {
  const inline = await leasePolicyRuntime(config, options, 'inline');
  const hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  const prompts = [[1, 2], [3, 4]];
  const responses = [[0, 1], [2]];
  const hyper = { lr: 0.01, weightDecay: 0, maxGradNorm: 1 };
  let a: TrainState = { weights: initPolicy(config, 4), m: new Map(), v: new Map(), step: 0 };
  let b: TrainState = { weights: initPolicy(config, 4), m: new Map(), v: new Map(), step: 0 };
  for (let s = 0; s < 3; s++) {
    a = (await inline.sftStep(a, prompts, responses, hyper)).state;
    b = (await hosted.sftStep(b, prompts, responses, hyper)).state;
  }
  const batch = { prompts, chosen: responses, rejected: [[1], [0, 2]], refChosen: [-1, -2], refRejected: [-1.5, -2.5] };
  const pref = { ...hyper, loss: 'sigmoid' as const, beta: 0.1, labelSmoothing: 0 };
  a = (await inline.preferenceStep(a, batch, pref)).state;
  b = (await hosted.preferenceStep(b, batch, pref)).state;
  expect([...b.weights.values()].every((t) => t.data.buffer instanceof SharedArrayBuffer)).toBe(true);
  expect(b.step).toBe(a.step);
  for (const part of ['weights', 'm', 'v'] as const) {
    for (const [name, t] of a[part]) expect(Array.from(b[part].get(name)!.data)).toEqual(Array.from(t.data));
  }
  await Promise.all([inline.dispose(), hosted.dispose()]);
});

test('sftSteps on a thread trains bit-for-bit as sftStep per batch inline, and returns the last step\'s loss', async () => {
  const inline = await leasePolicyRuntime(config, options, 'inline');
  const hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  const hyper = { lr: 0.01, weightDecay: 0, maxGradNorm: 1 };
  const batches = [
    { prompts: [[1, 2], [3, 4]], responses: [[0, 1], [2]] },
    { prompts: [[2], [4, 1]], responses: [[3, 3, 0], [1]] },
    { prompts: [[1, 1]], responses: [[4]] },
  ];
  let a: TrainState = { weights: initPolicy(config, 5), m: new Map(), v: new Map(), step: 0 };
  let loss = NaN;
  for (const batch of batches) ({ state: a, loss } = await inline.sftStep(a, batch.prompts, batch.responses, hyper));
  const b = await hosted.sftSteps({ weights: initPolicy(config, 5), m: new Map(), v: new Map(), step: 0 }, batches, hyper);
  expect(b.loss).toBe(loss);
  expect(b.state.step).toBe(3);
  for (const part of ['weights', 'm', 'v'] as const) {
    for (const [name, t] of a[part]) expect(Array.from(b.state[part].get(name)!.data)).toEqual(Array.from(t.data));
  }
  await expect(hosted.sftSteps(a, [], hyper)).rejects.toThrow(/batches must be a non-empty array/);
  await Promise.all([inline.dispose(), hosted.dispose()]);
});

test('preferenceSteps on a thread trains bit-for-bit as preferenceStep per step inline, with every step\'s metrics', async () => {
  const inline = await leasePolicyRuntime(config, options, 'inline');
  const hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  const zeros = (w: TrainState['weights']) => new Map([...w].map(([k, t]) => [k, { ...t, data: new Float32Array(t.data.length) }]));
  const start = (): TrainState => { const weights = initPolicy(config, 6); return { weights, m: zeros(weights), v: zeros(weights), step: 0 }; };
  const base = { loss: 'sigmoid' as const, beta: 0.1, labelSmoothing: 0, weightDecay: 0, maxGradNorm: 1 };
  // The learning rate changes per step, as in update's schedule.
  const steps = [
    { batch: { prompts: [[1, 2]], chosen: [[3, 0]], rejected: [[4]], refChosen: [-3], refRejected: [-2] }, hyper: { ...base, lr: 0.01 } },
    { batch: { prompts: [[2], [4, 1]], chosen: [[1], [2, 2]], rejected: [[3, 3], [0]], refChosen: [-2, -4], refRejected: [-5, -1] }, hyper: { ...base, lr: 0.02 } },
    { batch: { prompts: [[1, 1]], chosen: [[4]], rejected: [[2]], refChosen: [-1.5], refRejected: [-1.5] }, hyper: { ...base, lr: 0.005 } },
  ];
  let a = start();
  const metrics = [];
  for (const { batch, hyper } of steps) {
    const out = await inline.preferenceStep(a, batch, hyper);
    a = out.state;
    metrics.push(out.metrics);
  }
  const b = await hosted.preferenceSteps(start(), steps);
  expect(b.metrics).toEqual(metrics);
  expect(b.state.step).toBe(3);
  for (const part of ['weights', 'm', 'v'] as const) {
    for (const [name, t] of a[part]) expect(Array.from(b.state[part].get(name)!.data)).toEqual(Array.from(t.data));
  }
  await expect(hosted.preferenceSteps(a, [])).rejects.toThrow(/steps must be a non-empty array/);
  await Promise.all([inline.dispose(), hosted.dispose()]);
});

test('a thread keeps weights resident across calls and computes with the right ones when more sets come than it holds', async () => {
  const inline = await leasePolicyRuntime(config, options, 'inline');
  const hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  const sets = Array.from({ length: 7 }, (_, i) => initPolicy(config, 10 + i));
  const prompts = [[1, 2], [3, 4]];
  const responses = [[0, 1], [2]];
  // Cycling through more weight sets than the thread keeps forces evictions and resends between reuses.
  for (const i of [0, 1, 0, 2, 3, 4, 5, 0, 6, 1, 1, 6]) {
    expect(Array.from(await hosted.sequenceLogprobs(sets[i], prompts, responses))).toEqual(Array.from(await inline.sequenceLogprobs(sets[i], prompts, responses)));
  }
  // Calls in flight together reach the thread in order, so the resident set stays in step.
  const both = await Promise.all([hosted.sample(sets[2], prompts, sampling), hosted.sample(sets[3], prompts, sampling), hosted.sample(sets[2], prompts, sampling)]);
  expect(both).toEqual([await inline.sample(sets[2], prompts, sampling), await inline.sample(sets[3], prompts, sampling), await inline.sample(sets[2], prompts, sampling)]);
  await Promise.all([inline.dispose(), hosted.dispose()]);
});

test('a handed-over state (consume) is updated where it lies, inline and in shared memory on a thread, and trains bit-for-bit as one kept', async () => {
  const inline = await leasePolicyRuntime(config, options, 'inline');
  const hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  const zeros = (w: TrainState['weights']) => new Map([...w].map(([k, t]) => [k, { ...t, data: new Float32Array(t.data.length) }]));
  const start = (): TrainState => { const weights = initPolicy(config, 8); return { weights, m: zeros(weights), v: zeros(weights), step: 0 }; };
  const hyper = { loss: 'sigmoid' as const, beta: 0.1, labelSmoothing: 0, weightDecay: 0.1, maxGradNorm: 1, lr: 0.01 };
  const steps = [
    { batch: { prompts: [[1, 2]], chosen: [[3, 0]], rejected: [[4]], refChosen: [-3], refRejected: [-2] }, hyper },
    { batch: { prompts: [[2], [4, 1]], chosen: [[1], [2, 2]], rejected: [[3, 3], [0]], refChosen: [-2, -4], refRejected: [-5, -1] }, hyper },
  ];
  const kept = start();
  const expected = (await inline.preferenceSteps(kept, steps)).state;
  const expected2 = (await inline.preferenceSteps(expected, steps)).state;
  expect(Array.from(kept.weights.values()).map((t) => Array.from(t.data))).toEqual(Array.from(start().weights.values()).map((t) => Array.from(t.data)));
  const same = (a: TrainState, b: TrainState) => {
    for (const part of ['weights', 'm', 'v'] as const) {
      for (const [name, t] of a[part]) expect(Array.from(b[part].get(name)!.data)).toEqual(Array.from(t.data));
    }
  };

  // Inline: the returned state is the given state's arrays, overwritten.
  const given = start();
  const out = (await inline.preferenceSteps(given, steps, { consume: true })).state;
  same(expected, out);
  for (const [name, t] of given.weights) expect(out.weights.get(name)!.data).toBe(t.data);

  // On a thread: a plain state comes back in shared memory; handed over again, that shared state is updated in place
  // (the caller's arrays show the new state) and comes back as it is.
  const first = (await hosted.preferenceSteps(start(), steps, { consume: true })).state;
  same(expected, first);
  expect([...first.weights.values()].every((t) => t.data.buffer instanceof SharedArrayBuffer)).toBe(true);
  const second = (await hosted.preferenceSteps(first, steps, { consume: true })).state;
  same(expected2, second);
  same(expected2, first); // written where it lay
  // Not handed over, a shared state is left as it was.
  const before = Array.from(second.weights.values()).map((t) => Array.from(t.data));
  await hosted.preferenceSteps(second, steps);
  expect(Array.from(second.weights.values()).map((t) => Array.from(t.data))).toEqual(before);
  await Promise.all([inline.dispose(), hosted.dispose()]);
});

test('weights in shared memory (a thread-trained state\'s) sample and score, on a thread and inline, as the same weights in ordinary memory', async () => {
  const inline = await leasePolicyRuntime(config, options, 'inline');
  const hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  const fromThread = (await hosted.sftStep({ weights: initPolicy(config, 9), m: new Map(), v: new Map(), step: 0 }, [[1, 2]], [[3]], { lr: 0.01, weightDecay: 0, maxGradNorm: 1 })).state.weights;
  // The same tensors in a Map of this test's realm (jest runs tests in a vm context; a message's Map is the outer one).
  const trained = new Map([...fromThread]);
  expect([...trained.values()].every((t) => t.data.buffer instanceof SharedArrayBuffer)).toBe(true);
  const plain = new Map([...trained].map(([k, t]) => [k, { ...t, data: t.data.slice() }]));
  const prompts = [[1, 2], [3]];
  const expected = await inline.sample(plain, prompts, sampling);
  const logps = await inline.sequenceLogprobs(plain, prompts, expected);
  for (const runtime of [inline, hosted]) {
    expect(await runtime.sample(trained, prompts, sampling)).toEqual(expected);
    expect(Array.from(await runtime.sequenceLogprobs(trained, prompts, expected))).toEqual(Array.from(logps));
  }
  await Promise.all([inline.dispose(), hosted.dispose()]);
});
