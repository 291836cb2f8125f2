/**
 * Refuse before any compute what cannot run on this machine: a policy that cannot fit in memory (or whose largest
 * tensor no typed array can hold), a step whose work cannot finish within its time limit, rows that cannot fit in the
 * worker's JS heap, and a campaign whose output cannot fit on the store's disk. Each refusal is a ResourceLimitError
 * (non-retryable) naming the fields, the estimate and the machine's limit. Memory and tensor limits are hard; the
 * others can be overridden with `execution.allowLargeRuns: true` when the estimate is wrong for a machine.
 */
import type { CampaignSpec } from '../../schemas/campaign';
import { ResourceLimitError } from '../errors';
import { freeDiskBytes, formatBytes, machineLimits, type MachineLimits } from './machine';
import {
  ASSUMED_FLOPS, iterationWork, policyShape, rowHeapBytes, secondsAt, STEP_TIME_LIMIT_SECONDS, storageEstimate, taskShape, trainingMemory,
  type GptShape, type TimedStep,
} from './estimate';

const OVERRIDE = 'or set execution.allowLargeRuns: true if the estimate is wrong for your machine';

const hours = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.ceil(s / 60)} min`);
const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** The built-in policy's memory and largest tensor against the machine: no override, the allocation would fail. */
export function checkPolicyFits(spec: CampaignSpec, limits: MachineLimits = machineLimits()): void {
  const m = policyShape(spec);
  if (!m) return;
  const mem = trainingMemory(spec, m);
  const model = `dModel ${m.dModel}, layers ${m.layers}, heads ${m.heads}, context ${m.context}`;
  if (mem.largestTensorElements > limits.maxTensorElements) {
    throw new ResourceLimitError(`policy.model (${model}): one tensor of the built-in policy would hold ${count(mem.largestTensorElements)} elements, over the ${count(limits.maxTensorElements)} a typed array can hold; lower policy.model.dModel (or policy.model.context, update.batchSize)`);
  }
  if (mem.trainingBytes > limits.memoryBytes) {
    throw new ResourceLimitError(`policy.model (${model}): training the built-in policy (${count(mem.parameters)} parameters) needs at least ${formatBytes(mem.trainingBytes)} of memory (weights, gradients, AdamW moments and the reference as float32, plus activations of ${mem.batchSequences} sequences), but this machine has ${formatBytes(limits.memoryBytes)}; lower policy.model.dModel or policy.model.layers`);
  }
}

const STEP_FIELDS: Record<TimedStep, string> = {
  setup: 'task.sft.steps x task.sft.batchSize (pi0\'s SFT)',
  sampleShard: 'each sampling shard',
  rank: 'ranking with the neural reward model',
  update: 'the update (pairs x update.epochs)',
  evaluate: 'evaluation.prompts x evaluation.samplesPerPrompt',
};

function perPromptField(spec: CampaignSpec): string {
  return spec.algorithm === 'rso' || spec.algorithm === 'offline-multistep-rs' ? 'rejectionSampling.candidates' : 'sampling.n';
}

/** Work, heap and disk estimates; refused unless execution.allowLargeRuns. */
export function checkWorkFits(spec: CampaignSpec, options: { storeRoot?: string; limits?: MachineLimits } = {}): void {
  const m: GptShape | undefined = policyShape(spec);
  if (!m || spec.execution.allowLargeRuns) return;
  const limits = options.limits ?? machineLimits();
  const work = iterationWork(spec, m);
  const perPrompt = perPromptField(spec);
  // Rows in memory first: they fail for certain, while a time estimate depends on the assumed throughput.
  const shape = taskShape(spec);
  const rowBytes = work.responses * rowHeapBytes(shape.promptTokens + shape.responseTokens);
  if (rowBytes > limits.heapBytes) {
    throw new ResourceLimitError(`${perPrompt}: ranking and pairing hold an iteration's ${count(work.responses)} responses (sampling.promptsPerIteration x ${perPrompt}) in memory, an estimated ${formatBytes(rowBytes)}, over this worker's JS heap limit of ${formatBytes(limits.heapBytes)} (node --max-old-space-size); lower ${perPrompt} or sampling.promptsPerIteration, ${OVERRIDE}`);
  }
  const poolBytes = shape.promptPool * rowHeapBytes(shape.promptTokens);
  if (poolBytes > limits.heapBytes) {
    throw new ResourceLimitError(`task.trainPrompts: the task's ${count(shape.promptPool)} prompts (task.trainPrompts + task.evalPrompts) take an estimated ${formatBytes(poolBytes)} in memory, over this worker's JS heap limit of ${formatBytes(limits.heapBytes)}; lower task.trainPrompts, ${OVERRIDE}`);
  }
  const rate = spec.execution.provider === 'cpu'
    ? `${ASSUMED_FLOPS.cpuPerThread / 1e9} GFLOP/s per ORT thread x execution.threads ${spec.execution.threads}` : `${ASSUMED_FLOPS.gpu / 1e12} TFLOP/s`;
  for (const step of Object.keys(STEP_TIME_LIMIT_SECONDS) as TimedStep[]) {
    const seconds = secondsAt(spec, work.flops[step]);
    if (seconds <= STEP_TIME_LIMIT_SECONDS[step]) continue;
    const what = step === 'sampleShard'
      ? `each sampling shard samples ${count(work.responsesPerShard)} responses (sampling.promptsPerIteration x ${perPrompt} / sampling.shards)`
      : `${STEP_FIELDS[step]} is ${count(work.flops[step])} FLOP`;
    const fix = step === 'sampleShard' ? `lower ${perPrompt} or sampling.promptsPerIteration, raise sampling.shards` : `make ${STEP_FIELDS[step]} smaller`;
    throw new ResourceLimitError(`${step === 'sampleShard' ? perPrompt : step}: ${what}, an estimated ${hours(seconds)} at ${rate}, over the ${hours(STEP_TIME_LIMIT_SECONDS[step])} the ${step} step may run; ${fix}, ${OVERRIDE}`);
  }
  const free = options.storeRoot === undefined ? undefined : freeDiskBytes(options.storeRoot);
  if (free !== undefined) {
    const storage = storageEstimate(spec, m);
    if (storage.campaignBytes > free) {
      throw new ResourceLimitError(`iterations: the campaign would write an estimated ${formatBytes(storage.campaignBytes)} to the store (${formatBytes(storage.perIterationBytes)} per iteration x ${spec.iterations}), but ${formatBytes(free)} is free at ${options.storeRoot}; lower iterations, ${perPrompt} or sampling.promptsPerIteration, free disk space, ${OVERRIDE}`);
    }
  }
}

/** Every resource check, before any compute. */
export function checkResources(spec: CampaignSpec, options: { storeRoot?: string; limits?: MachineLimits } = {}): void {
  const limits = options.limits ?? machineLimits();
  checkPolicyFits(spec, limits);
  checkWorkFits(spec, { ...options, limits });
}
