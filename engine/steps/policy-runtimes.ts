/**
 * The policy runtimes the steps compute with, cached per process so that a step does not pay a session build (or,
 * off the event loop, a thread start-up) each time.
 *
 * A step leases one: policyRuntime(spec) hands out a runtime nobody else holds, and the lease's dispose() gives it
 * back to the cache (the runtime itself stays up). So two steps running at once (two activity slots) never share
 * one: each computes on its own runtime, which off the event loop means its own thread, and the cache holds as many
 * runtimes per (placement, model config, execution settings) as steps ever ran at once there. disposeRuntimes()
 * ends every cached runtime; one still leased ends when its step gives it back.
 */
import type { PolicyRuntime, ResolvedModelConfig, RuntimeOptions } from '../model/api';
import type { ComputePlacement } from './compute-placement';
import { createPolicy } from './engine-parts';

interface Pool {
  idle: PolicyRuntime[];
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
  const runtime = pool.idle.pop() ?? (await createPolicy(config, options, placement));
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
    preferenceStep: async (...a) => live('preferenceStep').preferenceStep(...a),
    async dispose() {
      if (!held) return;
      held = false;
      if (pool.closed) await runtime.dispose();
      else pool.idle.push(runtime);
    },
  };
}

/** Disposes every cached runtime (a worker process calls this on shutdown; tests in afterAll). */
export async function disposeRuntimes(): Promise<void> {
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
