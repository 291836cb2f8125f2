/**
 * The reward runtime, hosted in a worker thread: the same RewardRuntime contract, but every session run happens off
 * the caller's event loop, so Temporal heartbeats and cancellation keep flowing while a reward model scores or
 * trains. Each hosted runtime owns one worker; dispose() ends it. (Policy runtimes are hosted by
 * engine/runtime/policy-thread.ts, which also keeps weights resident on the thread.)
 */
import * as path from 'path';
import type { ResolvedModelConfig, RewardRuntime, RuntimeOptions } from '../model/api';
import { createRewardRuntime } from '../model/reward-runtime';
import type { ComputePlacement } from './compute-placement';
import { DEFAULT_RUNTIME } from './sessions';
import { hostInWorker } from './worker';

// Extension-less: require() finds reward-runtime.ts under swc (source, tests) and reward-runtime.js in a build.
const REWARD_RUNTIME = path.join(__dirname, '..', 'model', 'reward-runtime');

// The runtime copies its contract's methods one by one: the worker's terminate() stays behind dispose(), and a
// method the contract gains is a type error here until it is hosted.
export async function hostRewardRuntime(config: ResolvedModelConfig, options: RuntimeOptions = DEFAULT_RUNTIME): Promise<RewardRuntime> {
  const remote = await hostInWorker<RewardRuntime>(REWARD_RUNTIME, 'createRewardRuntime', [config, options]);
  return {
    config: Object.freeze({ ...config }),
    score: remote.score,
    btStep: remote.btStep,
    dispose: remote.dispose,
  };
}

/** A reward runtime on the thread `placement` names: off the event loop in Temporal workers, like the policy. */
export function rewardRuntimeOn(placement: ComputePlacement, config: ResolvedModelConfig, options: RuntimeOptions): Promise<RewardRuntime> {
  return placement === 'worker-thread' ? hostRewardRuntime(config, options) : createRewardRuntime(config, options);
}
