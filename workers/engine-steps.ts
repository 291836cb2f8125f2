/**
 * The default step implementation (engine/steps, ONNX Runtime), loaded when a worker starts rather than when this
 * module is imported: a client or a bundler that only needs the plugin's types never loads ONNX Runtime.
 */
import type { StepFunctions } from '../activities/step-functions';

/** Set once the engine's steps are loaded: only then can there be cached runtimes to dispose. */
let engineLoaded = false;

export function engineSteps(): StepFunctions {
  engineLoaded = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const steps = require('../engine/steps') as Omit<StepFunctions, 'plan'> & { checkedIterationPlan: StepFunctions['plan'] };
  for (const name of ['setup', 'sampleShard', 'rank', 'filter', 'update', 'evaluate'] as const) {
    if (typeof steps[name] !== 'function') throw new Error(`engine/steps does not export a '${name}' step function`);
  }
  return {
    setup: steps.setup, sampleShard: steps.sampleShard, rank: steps.rank, filter: steps.filter, update: steps.update,
    evaluate: steps.evaluate, plan: steps.checkedIterationPlan,
  };
}

/** Workers (in this process) whose activities may hold cached engine runtimes: the last one to stop disposes them. */
let runningWorkers = 0;

/**
 * Runs one worker (`next`) and, when it is the last running one in the process, disposes the engine's cached policy
 * runtimes (their worker threads) after it stops. A no-op for the cache when the engine was never loaded.
 * `prewarm` (workers computing on 'worker-thread' with the engine's steps): start a compute thread now, while the
 * worker waits for its first task, rather than in the first step (engine/runtime/policy-runtimes.ts).
 */
export async function withEngineRuntimes(next: () => Promise<void>, options: { prewarm?: boolean } = {}): Promise<void> {
  runningWorkers++;
  if (options.prewarm && engineLoaded) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('../engine/runtime/policy-runtimes') as typeof import('../engine/runtime/policy-runtimes')).prewarmPolicyThread();
  }
  try {
    await next();
  } finally {
    if (--runningWorkers === 0 && engineLoaded) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      await (require('../engine/steps') as typeof import('../engine/steps')).disposeRuntimes();
    }
  }
}
