/** `prefloop/workers`: the plugin for your own workers, and prefloop's ready-made worker processes. */
export { PrefloopPlugin, DEFAULT_QUEUES, type PrefloopPluginOptions, type TaskQueues } from './plugin';
export {
  createPrefloopWorkers, parseServe, QUEUE_KINDS, DEFAULT_SLOTS,
  type PrefloopWorkers, type QueueKind, type WorkerConnectionOptions, type WorkerSettings,
} from './run';
export { prefloopDataConverter, MAX_PAYLOAD_BYTES } from './data-converter';
