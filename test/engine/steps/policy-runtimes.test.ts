/**
 * The steps' runtime cache: a step leases a runtime of its own, gives it back with dispose(), and the next step
 * reuses it; disposeRuntimes() ends them all. Off the event loop the leased runtime computes what an inline one does.
 */
import { initPolicy } from '../../../engine/model/gpt';
import type { ResolvedModelConfig, RuntimeOptions, SampleOptions } from '../../../engine/model/api';
import { disposeRuntimes, idleRuntimeCount, leasePolicyRuntime } from '../../../engine/steps/policy-runtimes';

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
