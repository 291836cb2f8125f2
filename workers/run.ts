/**
 * Worker processes: one Temporal worker per task queue this process serves. The cpu-queue worker also runs the
 * campaign and iteration workflows; inference and training workers run activities only. Activity slots per queue
 * are a setting: one per GPU (or per core budget) on inference/training.
 */
import type { ConnectionOptions } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { NativeConnection, Worker, type NativeConnectionOptions, type WorkerOptions } from '@temporalio/worker';
import type { ComputePlacement } from '../engine/runtime/compute-placement';
import type { StepFunctions } from '../activities/step-functions';
import type { ArtifactStore } from '../store/types';
import { PrefloopPlugin, type TaskQueues } from './plugin';

export type QueueKind = keyof TaskQueues;
export const QUEUE_KINDS: QueueKind[] = ['inference', 'training', 'cpu'];

/**
 * How a worker reaches a server that needs more than an address: TLS (mTLS), an API key, gRPC metadata. The same
 * object the CLI builds for its client (cli/connection.ts, `connectionOptions`) fits; client-only fields
 * (connectTimeout, interceptors, channelArgs) do not apply to a worker's native connection and are ignored.
 */
export type WorkerConnectionOptions = Pick<ConnectionOptions, 'tls' | 'apiKey' | 'metadata' | 'callCredentials'>;

export interface WorkerSettings {
  address: string;
  namespace?: string;
  connectionOptions?: WorkerConnectionOptions;
  /** Root of the local artifact store (or pass `store`). */
  storeRoot?: string;
  store?: ArtifactStore;
  /** Which queues this process serves; default all three. */
  serve?: QueueKind[];
  queueNames?: Partial<TaskQueues>;
  /** Concurrent activities per queue (default inference 1, training 1, cpu 4). */
  slots?: Partial<Record<QueueKind, number>>;
  /** Prebuilt workflow bundle (tests bundle once per file); default: bundle workflows/ at start. */
  workflowBundle?: { code: string } | { codePath: string };
  steps?: StepFunctions;
  identity?: string;
  /** How long in-flight activities get to finish on shutdown. */
  shutdownGraceTime?: Duration;
  /** Where step compute runs (default 'worker-thread': one thread per running step, see workers/README.md). */
  compute?: ComputePlacement;
}

export const DEFAULT_SLOTS: Record<QueueKind, number> = { inference: 1, training: 1, cpu: 4 };

export interface PrefloopWorkers {
  readonly workers: Worker[];
  readonly plugin: PrefloopPlugin;
  /** The workers' connection to the server (workers/resilient.ts probes it). */
  readonly connection: NativeConnection;
  /** Resolves when every worker has stopped (after shutdown(), or rejects on a fatal worker error). */
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

export function parseServe(value: string | undefined): QueueKind[] {
  if (!value || value === 'all') return [...QUEUE_KINDS];
  const kinds = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = kinds.filter((k) => !(QUEUE_KINDS as string[]).includes(k));
  if (bad.length) throw new Error(`unknown queue ${bad.map((b) => `'${b}'`).join(', ')}; serve one or more of ${QUEUE_KINDS.join(', ')}, or 'all'`);
  return kinds as QueueKind[];
}

/**
 * Concurrent activities per queue: `N` (inference and training, e.g. one per GPU) or `queue=N,...` (`--slots` of
 * `prefloop worker`).
 */
export function parseSlots(value: string | undefined): Partial<Record<QueueKind, number>> {
  if (!value) return {};
  if (/^\d+$/.test(value.trim())) {
    const n = Number(value);
    if (n < 1) throw new Error(`bad --slots '${value}'; write N >= 1, or queue=N with queue one of ${QUEUE_KINDS.join(', ')}`);
    return { inference: n, training: n };
  }
  const out: Partial<Record<QueueKind, number>> = {};
  for (const part of value.split(',')) {
    const [kind, n] = part.trim().split('=');
    const count = Number(n);
    if (!(QUEUE_KINDS as string[]).includes(kind) || !Number.isInteger(count) || count < 1) {
      throw new Error(`bad --slots entry '${part}'; write N, or queue=N with queue one of ${QUEUE_KINDS.join(', ')} and N >= 1`);
    }
    out[kind as QueueKind] = count;
  }
  return out;
}

/** The worker's native connection options; settings.address wins over any address in connectionOptions. */
export function nativeConnectionOptions(settings: Pick<WorkerSettings, 'address' | 'connectionOptions'>): NativeConnectionOptions {
  const { tls, apiKey, metadata, callCredentials } = settings.connectionOptions ?? {};
  if (callCredentials) throw new Error('connectionOptions.callCredentials: a worker connection takes no gRPC call credentials; pass apiKey or metadata instead');
  return {
    address: settings.address,
    ...(tls !== undefined ? { tls } : {}),
    // The native connection takes a string; a key function is read once, when the worker connects.
    ...(apiKey !== undefined ? { apiKey: typeof apiKey === 'function' ? apiKey() : apiKey } : {}),
    ...(metadata ? { metadata } : {}),
  };
}

export async function createPrefloopWorkers(settings: WorkerSettings): Promise<PrefloopWorkers> {
  const serve = settings.serve ?? QUEUE_KINDS;
  const plugin = new PrefloopPlugin({
    store: settings.store, storeRoot: settings.storeRoot, steps: settings.steps, queues: settings.queueNames, compute: settings.compute,
    // Only the inference and training queues' steps compute with a policy.
    prewarm: serve.some((kind) => kind !== 'cpu'),
  });
  const connection = await NativeConnection.connect(nativeConnectionOptions(settings));
  const slots = { ...DEFAULT_SLOTS, ...settings.slots };
  const workers: Worker[] = [];
  try {
    for (const kind of serve) {
      const options: WorkerOptions = {
        connection,
        namespace: settings.namespace ?? 'default',
        taskQueue: plugin.queues[kind],
        plugins: [plugin],
        maxConcurrentActivityTaskExecutions: slots[kind],
        shutdownGraceTime: settings.shutdownGraceTime ?? '5s',
        // Send step cursors to the server within a second: a worker killed right after a checkpoint must not take
        // the cursor with it (the default throttle is 80% of the heartbeat timeout).
        maxHeartbeatThrottleInterval: '1s',
      };
      if (settings.identity) options.identity = `${settings.identity}/${kind}`;
      if (kind === 'cpu') {
        if (settings.workflowBundle) options.workflowBundle = settings.workflowBundle;
        else options.workflowsPath = require.resolve('../workflows');
      }
      workers.push(await Worker.create(options));
    }
  } catch (err) {
    await connection.close();
    throw err;
  }
  let running: Promise<void> | undefined;
  return {
    workers,
    plugin,
    connection,
    run() {
      running ??= Promise.all(workers.map((w) => w.run())).then(() => undefined).finally(() => connection.close());
      return running;
    },
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      if (running) await running.catch(() => undefined);
      else await connection.close();
    },
  };
}
