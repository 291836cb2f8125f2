/**
 * The policy runtimes the steps compute with, cached per process so that a step does not pay a session build (or,
 * off the event loop, a thread start-up) each time.
 *
 * A step leases one: policyRuntime(spec) hands out a runtime nobody else holds, and the lease's dispose() gives it
 * back to the cache (the runtime itself stays up). So two steps running at once (two activity slots) never share
 * one: each computes on its own runtime, which off the event loop means its own thread, and the cache holds as many
 * runtimes per (placement, model config, execution settings) as steps ever ran at once there. disposeRuntimes()
 * ends every cached runtime; one still leased ends when its step gives it back.
 *
 * A worker process can start one compute thread ahead of need (prewarmPolicyThread): the thread's start-up (worker
 * boot, module loading, ONNX Runtime) then overlaps the wait for the first task instead of delaying the first step.
 */
import * as path from 'node:path';
import type { NamedTensors, PolicyRuntime, ResolvedModelConfig, RuntimeOptions, TrainState, WeightsCallOptions } from '../model/api';
import { hostInWorker, type Remote } from './worker';
import { collectTransferables } from './workerProtocol';
import type { ComputePlacement } from './compute-placement';
import { createPolicyRuntime } from '../model/runtime';
import type { ThreadPolicyRuntime } from './policy-thread';
import { residentSender } from './resident-weights';

/** A cached runtime; one on a thread also drops the weights it keeps resident when its step gives it back. */
type CachedRuntime = PolicyRuntime & { releaseResident?(): Promise<void> };

interface Pool {
  idle: CachedRuntime[];
  /** Set by disposeRuntimes(): runtimes given back to a closed pool are disposed, not kept. */
  closed: boolean;
}

const pools = new Map<string, Pool>();

function poolFor(key: string): Pool {
  let pool = pools.get(key);
  if (!pool) {
    pool = { idle: [], closed: false };
    pools.set(key, pool);
  }
  return pool;
}

/** A runtime leased to one step; its dispose() returns the runtime to the cache. */
export async function leasePolicyRuntime(config: ResolvedModelConfig, options: RuntimeOptions, placement: ComputePlacement): Promise<PolicyRuntime> {
  const pool = poolFor(JSON.stringify([placement, config, options.provider, options.fallback, options.threads]));
  const runtime: CachedRuntime = pool.idle.pop() ?? (placement === 'worker-thread' ? await threadPolicyRuntime(config, options) : await createPolicyRuntime(config, options));
  let held = true;
  const live = (method: string): PolicyRuntime => {
    if (!held) throw new Error(`policy runtime ${method}() after the step gave its lease back (dispose())`);
    return runtime;
  };
  return {
    config: runtime.config,
    sample: async (...a) => live('sample').sample(...a),
    sequenceLogprobs: async (...a) => live('sequenceLogprobs').sequenceLogprobs(...a),
    sftStep: async (...a) => live('sftStep').sftStep(...a),
    sftSteps: async (...a) => live('sftSteps').sftSteps(...a),
    preferenceStep: async (...a) => live('preferenceStep').preferenceStep(...a),
    preferenceSteps: async (...a) => live('preferenceSteps').preferenceSteps(...a),
    async dispose() {
      if (!held) return;
      held = false;
      if (pool.closed) await runtime.dispose();
      else {
        // The next step names its own weights: nothing resident now could be reused, and it would hold memory.
        await runtime.releaseResident?.();
        pool.idle.push(runtime);
      }
    },
  };
}

// Extension-less: require() finds policy-thread.ts under swc (source, tests) and policy-thread.js in a build.
const THREAD_MODULE = path.join(__dirname, 'policy-thread');

function startThread(): Promise<Remote<ThreadPolicyRuntime>> {
  return hostInWorker<ThreadPolicyRuntime>(THREAD_MODULE, 'createThreadPolicyRuntime');
}

/** The started (or starting) spare compute thread, until a step takes it or disposeRuntimes() ends it. */
let spare: Promise<Remote<ThreadPolicyRuntime>> | undefined;

/**
 * Starts a spare compute thread if none is waiting (a worker computing on 'worker-thread' calls this when it
 * starts). The first step that needs a new thread-hosted runtime takes it, whatever its model config.
 */
export function prewarmPolicyThread(): void {
  if (spare) return;
  spare = startThread();
  // A spare that fails to start is dropped: the step then starts its own thread and meets the error there.
  spare.catch(() => undefined);
}

/**
 * A runtime for `config` on a compute thread of its own: the spare thread if one is waiting (else a new one). The
 * thread hosts policy-thread.ts. A training call that hands its state over (consume) moves the state's buffers to
 * the thread (the caller's arrays become empty, as the hand-over allows) and gets the new state moved back: no copy
 * either way, and the thread trains on ordinary memory. A state not handed over is copied to the thread. Weights
 * for sample / sequenceLogprobs are copied to the thread once and kept there (resident-weights.ts), or moved there
 * when handed over (WeightsCallOptions.consume), so that they are not held twice. dispose()
 * ends the thread; leasePolicyRuntime keeps such runtimes cached instead.
 */
export async function threadPolicyRuntime(config: ResolvedModelConfig, options: RuntimeOptions): Promise<CachedRuntime> {
  const taken = spare;
  spare = undefined;
  const remote = (await taken?.catch(() => undefined)) ?? (await startThread());
  let built: ResolvedModelConfig;
  try {
    built = await remote.init(config, options);
  } catch (err) {
    await remote.terminate();
    throw err;
  }
  // Weights stay on the thread between calls; a call sends them only when the thread does not hold them. A training
  // call releases them on both sides (policy-thread.ts), in call order like everything else.
  const send = residentSender();
  const trainingVia = (state: TrainState, consume?: boolean) => {
    send.release();
    return consume ? remote.moving(collectTransferables(state)) : remote;
  };
  // Weights handed over move with the call that first sends them (later calls send only their id).
  const resident = (weights: NamedTensors, callOptions?: WeightsCallOptions) => {
    const ref = send.ref(weights);
    return { ref, via: callOptions?.consume && ref.tensors ? remote.moving(collectTransferables(ref.tensors)) : remote };
  };
  return {
    config: Object.freeze(built),
    sample: (weights, prompts, sampling, callOptions) => {
      const { ref, via } = resident(weights, callOptions);
      return via.sampleResident(ref, prompts, sampling);
    },
    sequenceLogprobs: (weights, prompts, responses, callOptions) => {
      const { ref, via } = resident(weights, callOptions);
      return via.sequenceLogprobsResident(ref, prompts, responses);
    },
    sftStep: (state, ...a) => trainingVia(state).sftStep(state, ...a),
    sftSteps: (state, batches, hyper, callOptions) => trainingVia(state, callOptions?.consume).sftSteps(state, batches, hyper, callOptions),
    preferenceStep: (state, ...a) => trainingVia(state).preferenceStep(state, ...a),
    preferenceSteps: (state, steps, callOptions) => trainingVia(state, callOptions?.consume).preferenceSteps(state, steps, callOptions),
    releaseResident: async () => {
      send.release();
      await remote.releaseResident();
    },
    dispose: remote.dispose,
  };
}

/** Whether a spare compute thread is waiting (for tests and diagnostics). */
export function hasSparePolicyThread(): boolean {
  return spare !== undefined;
}

/** Disposes every cached runtime and the spare thread (a worker process calls this on shutdown; tests in afterAll). */
export async function disposeRuntimes(): Promise<void> {
  const waiting = spare;
  spare = undefined;
  if (waiting) await (await waiting.catch(() => undefined))?.terminate();
  const all = [...pools.values()];
  pools.clear();
  for (const pool of all) {
    pool.closed = true;
    for (const runtime of pool.idle.splice(0)) await runtime.dispose();
  }
}

/** How many runtimes the cache holds idle (for tests and diagnostics). */
export function idleRuntimeCount(): number {
  let n = 0;
  for (const pool of pools.values()) n += pool.idle.length;
  return n;
}
