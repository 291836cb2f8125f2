/**
 * The policy and reward runtimes, hosted in a worker thread: the same PolicyRuntime / RewardRuntime
 * contract, but every session run happens off the caller's event loop, so Temporal heartbeats and
 * cancellation keep flowing during a long training step. Each hosted runtime owns one worker; dispose() ends it.
 */
import * as path from 'path';
import type { PolicyRuntime, ResolvedModelConfig, RewardRuntime, RuntimeOptions } from '../model/api';
import { DEFAULT_RUNTIME } from './sessions';
import { hostInWorker } from './worker';

// Extension-less: require() finds runtime.ts under swc (source, tests) and runtime.js in a build.
const MODEL_RUNTIME = path.join(__dirname, '..', 'model', 'runtime');
const REWARD_RUNTIME = path.join(__dirname, '..', 'model', 'reward-runtime');

// Each runtime below copies its contract's methods one by one: the worker's terminate() stays behind dispose(),
// and a method the contract gains is a type error here until it is hosted.
export async function hostPolicyRuntime(config: ResolvedModelConfig, options: RuntimeOptions = DEFAULT_RUNTIME): Promise<PolicyRuntime> {
  const remote = await hostInWorker<PolicyRuntime>(MODEL_RUNTIME, 'createPolicyRuntime', [config, options]);
  return {
    config: Object.freeze({ ...config }),
    sample: remote.sample,
    sequenceLogprobs: remote.sequenceLogprobs,
    sftStep: remote.sftStep,
    sftSteps: remote.sftSteps,
    preferenceStep: remote.preferenceStep,
    preferenceSteps: remote.preferenceSteps,
    dispose: remote.dispose,
  };
}

export async function hostRewardRuntime(config: ResolvedModelConfig, options: RuntimeOptions = DEFAULT_RUNTIME): Promise<RewardRuntime> {
  const remote = await hostInWorker<RewardRuntime>(REWARD_RUNTIME, 'createRewardRuntime', [config, options]);
  return {
    config: Object.freeze({ ...config }),
    score: remote.score,
    btStep: remote.btStep,
    dispose: remote.dispose,
  };
}
