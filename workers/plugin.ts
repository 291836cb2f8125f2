/**
 * PrefloopPlugin: everything a worker needs to run prefloop steps, in one object.
 *
 * Adding prefloop to your own worker:
 *
 * ```ts
 * import { Worker, NativeConnection } from '@temporalio/worker';
 * import { PrefloopPlugin } from 'prefloop/workers';
 *
 * const prefloop = new PrefloopPlugin({ storeRoot: '/data/prefloop' });
 * const connection = await NativeConnection.connect({ address: 'temporal:7233' });
 * // Campaign and iteration workflows run on the cpu queue, next to your own workflows:
 * await Worker.create({
 *   connection,
 *   taskQueue: prefloop.queues.cpu,
 *   workflowsPath: require.resolve('./workflows'),   // your module, which re-exports prefloop's (below)
 *   plugins: [prefloop],
 * });
 * // One worker per GPU on the inference and training queues:
 * await Worker.create({ connection, taskQueue: prefloop.queues.inference, plugins: [prefloop], maxConcurrentActivityTaskExecutions: 1 });
 * ```
 *
 * and in your workflow module (`./workflows.ts`):
 *
 * ```ts
 * export * from 'prefloop/workflows';      // preferenceCampaign, preferenceIteration
 * export * from './my-workflows';
 * ```
 *
 * The plugin registers prefloop's activities (on every queue: the workflows route each step to its queue) and the
 * data converter (workers/data-converter.ts). Clients that start campaigns should use the plugin too, so that their
 * payloads go through the same converter: `new Client({ connection, plugins: [prefloop] })`.
 */
import { SimplePlugin } from '@temporalio/plugin';
import { createActivities } from '../activities';
import type { StepFunctions } from '../activities/step-functions';
import { COMPUTE_PLACEMENTS, type ComputePlacement } from '../engine/runtime/compute-placement';
import { ExecutionSchema } from '../schemas/campaign';
import type { ArtifactStore } from '../store/types';
import { prefloopDataConverter } from './data-converter';
import { openStore } from '../store/open';
import { engineSteps, withEngineRuntimes } from './engine-steps';

export interface TaskQueues {
  inference: string;
  training: string;
  cpu: string;
}

/** The default queue names, as in the spec's `execution.taskQueues`. */
export const DEFAULT_QUEUES: TaskQueues = ExecutionSchema.parse({}).taskQueues;

export interface PrefloopPluginOptions {
  /** The artifact store, or the root directory of a local one. */
  store?: ArtifactStore;
  storeRoot?: string;
  /** Step implementation; defaults to engine/steps (ONNX Runtime). */
  steps?: StepFunctions;
  /** Queue names, when a deployment renames them (must match the specs' execution.taskQueues). */
  queues?: Partial<TaskQueues>;
  /**
   * Where the steps' policy compute runs. Default 'worker-thread': each running step computes on its own worker
   * thread, so the worker's event loop stays free for heartbeats and cancellation (DESIGN.md rule 3).
   */
  compute?: ComputePlacement;
  /**
   * Start a compute thread when the worker starts, so that the first step does not wait for one (~0.3 s). Default:
   * true when computing on 'worker-thread' with the default steps; a worker serving only the cpu queue (whose
   * filter step computes no policy) should pass false.
   */
  prewarm?: boolean;
}

export class PrefloopPlugin extends SimplePlugin {
  readonly queues: TaskQueues;
  readonly store: ArtifactStore;

  constructor(options: PrefloopPluginOptions) {
    const store = options.store ?? openStore(requireRoot(options.storeRoot));
    const compute = options.compute ?? 'worker-thread';
    if (!COMPUTE_PLACEMENTS.includes(compute)) throw new Error(`PrefloopPlugin: compute '${String(compute)}' is not one of ${COMPUTE_PLACEMENTS.join(', ')}`);
    const activities = createActivities({ store, steps: options.steps ?? engineSteps(), compute });
    // The cached runtimes (and their threads) end when the process's last worker stops.
    const prewarm = compute === 'worker-thread' && !options.steps && options.prewarm !== false;
    super({ name: 'prefloop', activities, dataConverter: prefloopDataConverter(), runContext: (next) => withEngineRuntimes(next, { prewarm }) });
    this.store = store;
    this.queues = { ...DEFAULT_QUEUES, ...options.queues };
  }
}

function requireRoot(root: string | undefined): string {
  if (!root) throw new Error('PrefloopPlugin needs a store: pass { storeRoot: "/path/to/artifacts" } or { store }');
  return root;
}
