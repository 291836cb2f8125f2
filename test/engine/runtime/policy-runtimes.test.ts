/**
 * The steps' runtime cache: a step leases a runtime of its own, gives it back with dispose(), and the next step
 * reuses it; disposeRuntimes() ends them all. Off the event loop the leased runtime computes what an inline one does.
 */
import { types } from 'node:util';
import { initPolicy } from '../../../engine/model/gpt';
import type { ResolvedModelConfig, RuntimeOptions, SampleOptions, TrainState } from '../../../engine/model/api';
import { disposeRuntimes, hasSparePolicyThread, idleRuntimeCount, leasePolicyRuntime, prewarmPolicyThread } from '../../../engine/runtime/policy-runtimes';
import { createThreadPolicyRuntime } from '../../../engine/runtime/policy-thread';
import { residentSender } from '../../../engine/runtime/resident-weights';

const config: ResolvedModelConfig = { vocab: 5, dModel: 16, layers: 1, heads: 2, context: 8, tiedHead: true };
const options: RuntimeOptions = { provider: 'cpu', fallback: 'none', threads: 1 };
const sampling: SampleOptions = { temperatures: [1, 1], topK: 0, topP: 1, maxNewTokens: 3, stopTokens: [], seed: 11 };
/** Whether every tensor of a state lies in ordinary memory (isArrayBuffer: false for shared memory, in any realm). */
const ordinary = (state: TrainState) => (['weights', 'm', 'v'] as const).every((part) => [...state[part].values()].every((t) => types.isArrayBuffer(t.data.buffer) && t.data.length > 0));

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

test('thread-hosted training steps hand back their state in ordinary memory and train bit-for-bit as inline ones', async () => {
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
  expect(ordinary(b)).toBe(true);
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

test('a handed-over state (consume) is updated where it lies inline, moved to a thread and back without a copy, and trains bit-for-bit as one kept', async () => {
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
  const emptied = (state: TrainState) => (['weights', 'm', 'v'] as const).every((part) => [...state[part].values()].every((t) => t.data.buffer.byteLength === 0));

  // Inline: the returned state is the given state's arrays, overwritten.
  const given = start();
  const out = (await inline.preferenceSteps(given, steps, { consume: true })).state;
  same(expected, out);
  for (const [name, t] of given.weights) expect(out.weights.get(name)!.data).toBe(t.data);

  // On a thread: the state's buffers move there (the caller's arrays are emptied: nothing was copied) and the new
  // state comes back in ordinary memory; handed over again, the returned state moves the same way.
  const handed = start();
  const first = (await hosted.preferenceSteps(handed, steps, { consume: true })).state;
  expect(emptied(handed)).toBe(true);
  expect(ordinary(first)).toBe(true);
  same(expected, first);
  const second = (await hosted.preferenceSteps(first, steps, { consume: true })).state;
  expect(emptied(first)).toBe(true);
  same(expected2, second);
  // Not handed over, a state is copied to the thread and left as it was, usable.
  const before = Array.from(second.weights.values()).map((t) => Array.from(t.data));
  same((await inline.preferenceSteps(expected2, steps)).state, (await hosted.preferenceSteps(second, steps)).state);
  expect(Array.from(second.weights.values()).map((t) => Array.from(t.data))).toEqual(before);
  // sftSteps hands over the same way.
  const sftGiven = start();
  const sftHyper = { lr: 0.01, weightDecay: 0, maxGradNorm: 1 };
  const sftBatches = [{ prompts: [[1, 2]], responses: [[3]] }];
  const sftOut = (await hosted.sftSteps(sftGiven, sftBatches, sftHyper, { consume: true })).state;
  expect(emptied(sftGiven)).toBe(true);
  same((await inline.sftSteps(start(), sftBatches, sftHyper)).state, sftOut);
  await Promise.all([inline.dispose(), hosted.dispose()]);
});

test('a thread releases its resident weights at a training call and when its step gives the runtime back, both sides in step', async () => {
  // The thread's side, in this process: resident until a training call or a release, then gone.
  const thread = createThreadPolicyRuntime();
  await thread.init(config, options);
  const reference = initPolicy(config, 20);
  const prompts = [[1, 2]];
  const responses = [[3]];
  const logps = Array.from(await thread.sequenceLogprobsResident({ id: 1, tensors: reference }, prompts, responses));
  expect(Array.from(await thread.sequenceLogprobsResident({ id: 1 }, prompts, responses))).toEqual(logps);
  expect(thread.residentCount()).toBe(1);
  const state: TrainState = { weights: initPolicy(config, 21), m: new Map(), v: new Map(), step: 0 };
  await thread.preferenceSteps(state, [{ batch: { prompts, chosen: responses, rejected: [[4]], refChosen: [-1], refRejected: [-1] }, hyper: { loss: 'sigmoid', beta: 0.1, labelSmoothing: 0, weightDecay: 0, maxGradNorm: 1, lr: 0.01 } }]);
  expect(thread.residentCount()).toBe(0);
  expect(() => thread.sequenceLogprobsResident({ id: 1 }, prompts, responses)).toThrow(/not resident/);
  await thread.sequenceLogprobsResident({ id: 2, tensors: reference }, prompts, responses);
  await thread.sftSteps(state, [{ prompts, responses }], { lr: 0.01, weightDecay: 0, maxGradNorm: 1 });
  expect(thread.residentCount()).toBe(0);
  await thread.sequenceLogprobsResident({ id: 3, tensors: reference }, prompts, responses);
  thread.releaseResident();
  expect(thread.residentCount()).toBe(0);
  await thread.dispose();

  // The caller's mirror: after a release the same weights go along again.
  const send = residentSender();
  expect(send.ref(reference).tensors).toBe(reference);
  expect(send.ref(reference).tensors).toBeUndefined();
  send.release();
  expect(send.ref(reference).tensors).toBe(reference);

  // Both together, across a real thread: the same weights object scored before and after a training call and after
  // the runtime went back to the cache and was leased again computes what inline does (a mirror out of step would
  // fail with "not resident").
  const inline = await leasePolicyRuntime(config, options, 'inline');
  let hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  const expected = Array.from(await inline.sequenceLogprobs(reference, prompts, responses));
  expect(Array.from(await hosted.sequenceLogprobs(reference, prompts, responses))).toEqual(expected);
  await hosted.preferenceSteps({ weights: initPolicy(config, 22), m: new Map(), v: new Map(), step: 0 }, [{ batch: { prompts, chosen: responses, rejected: [[4]], refChosen: [-1], refRejected: [-1] }, hyper: { loss: 'sigmoid', beta: 0.1, labelSmoothing: 0, weightDecay: 0, maxGradNorm: 1, lr: 0.01 } }], { consume: true });
  expect(Array.from(await hosted.sequenceLogprobs(reference, prompts, responses))).toEqual(expected);
  await hosted.dispose();
  hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  expect(idleRuntimeCount()).toBe(0); // the same runtime, from the cache
  expect(Array.from(await hosted.sequenceLogprobs(reference, prompts, responses))).toEqual(expected);
  await Promise.all([inline.dispose(), hosted.dispose()]);
});

test('weights in shared memory (a caller may build them there) sample and score, on a thread and inline, as the same weights in ordinary memory', async () => {
  const inline = await leasePolicyRuntime(config, options, 'inline');
  const hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  const plain = initPolicy(config, 9);
  const trained = new Map([...plain].map(([k, t]) => {
    const data = new Float32Array(new SharedArrayBuffer(t.data.byteLength));
    data.set(t.data);
    return [k, { ...t, data }];
  }));
  const prompts = [[1, 2], [3]];
  const expected = await inline.sample(plain, prompts, sampling);
  const logps = await inline.sequenceLogprobs(plain, prompts, expected);
  for (const runtime of [inline, hosted]) {
    expect(await runtime.sample(trained, prompts, sampling)).toEqual(expected);
    expect(Array.from(await runtime.sequenceLogprobs(trained, prompts, expected))).toEqual(Array.from(logps));
  }
  await Promise.all([inline.dispose(), hosted.dispose()]);
});

test('weights handed over for sampling and scoring (consume) move to a thread, not copied, compute what inline does, and the emptied object names them until the thread drops them', async () => {
  const inline = await leasePolicyRuntime(config, options, 'inline');
  let hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  const prompts = [[1, 2], [3, 4]];
  const responses = [[0, 1], [2]];
  const values = (w: TrainState['weights']) => [...w.values()].map((t) => Array.from(t.data));
  const emptied = (w: TrainState['weights']) => [...w.values()].every((t) => t.data.buffer.byteLength === 0);
  const samples = await inline.sample(initPolicy(config, 30), prompts, sampling);
  const logps = Array.from(await inline.sequenceLogprobs(initPolicy(config, 30), prompts, samples));
  const otherLogps = Array.from(await inline.sequenceLogprobs(initPolicy(config, 31), prompts, responses));

  // Inline nothing moves: the arrays stay as they were.
  const inlineGiven = initPolicy(config, 30);
  expect(await inline.sample(inlineGiven, prompts, sampling, { consume: true })).toEqual(samples);
  expect(values(inlineGiven)).toEqual(values(initPolicy(config, 30)));

  // On a thread the buffers move (the caller's arrays are emptied: nothing was copied), and the results are inline's.
  const given = initPolicy(config, 30);
  expect(await hosted.sample(given, prompts, sampling, { consume: true })).toEqual(samples);
  expect(emptied(given)).toBe(true);
  // The emptied object still names the thread's copy, handed over again or not, for sampling and scoring.
  expect(await hosted.sample(given, prompts, sampling, { consume: true })).toEqual(samples);
  expect(Array.from(await hosted.sequenceLogprobs(given, prompts, samples))).toEqual(logps);
  // sequenceLogprobs hands over the same way, and a second set is resident beside the first.
  const scored = initPolicy(config, 31);
  expect(Array.from(await hosted.sequenceLogprobs(scored, prompts, responses, { consume: true }))).toEqual(otherLogps);
  expect(emptied(scored)).toBe(true);
  expect(await hosted.sample(given, prompts, sampling)).toEqual(samples);
  expect(Array.from(await hosted.sequenceLogprobs(scored, prompts, responses))).toEqual(otherLogps);

  // Not handed over, weights are copied: the caller's arrays stay, unchanged and usable.
  const kept = initPolicy(config, 30);
  expect(await hosted.sample(kept, prompts, sampling)).toEqual(samples);
  expect(values(kept)).toEqual(values(initPolicy(config, 30)));

  // After a training call the thread has dropped them: the emptied object is refused, saying why; a kept one is resent.
  await hosted.preferenceSteps({ weights: initPolicy(config, 32), m: new Map(), v: new Map(), step: 0 }, [{ batch: { prompts: [[1, 2]], chosen: [[3]], rejected: [[4]], refChosen: [-1], refRejected: [-1] }, hyper: { loss: 'sigmoid', beta: 0.1, labelSmoothing: 0, weightDecay: 0, maxGradNorm: 1, lr: 0.01 } }], { consume: true });
  await expect(hosted.sample(given, prompts, sampling)).rejects.toThrow(/handed over to the compute thread .* which has since dropped them/);
  expect(await hosted.sample(kept, prompts, sampling)).toEqual(samples);
  // The same once the step gives its runtime back (the next lease of that runtime starts with nothing resident).
  const again = initPolicy(config, 30);
  expect(Array.from(await hosted.sequenceLogprobs(again, prompts, samples, { consume: true }))).toEqual(logps);
  await hosted.dispose();
  hosted = await leasePolicyRuntime(config, options, 'worker-thread');
  expect(idleRuntimeCount()).toBe(0); // the same runtime, from the cache
  await expect(hosted.sequenceLogprobs(again, prompts, samples)).rejects.toThrow(/handed over/);
  expect(Array.from(await hosted.sequenceLogprobs(kept, prompts, samples))).toEqual(logps);
  await Promise.all([inline.dispose(), hosted.dispose()]);
});
