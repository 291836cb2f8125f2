/** Helpers every step shares: artifact keys, seeds, JSON/JSONL and checkpoint I/O, the policy runtime. */
import { MEDIA_TYPES, type ArtifactKey, type ArtifactRef, type StepFolder } from '../../schemas/artifacts';
import type { CampaignSpec } from '../../schemas/campaign';
import type { ArtifactStore } from '../../store/types';
import type { NamedTensors, PolicyRuntime, ResolvedModelConfig } from '../model/api';
import { loadTask, type Task } from '../tasks';
import { getCheckpoint, putCheckpoint, rngFor, streamId, type Rng } from './engine-parts';
import { leasePolicyRuntime } from '../runtime/policy-runtimes';
import type { StepContext } from './types';
import { InvalidInputError } from '../errors';


export function keyOf(ctx: StepContext, step: StepFolder, name: string, iteration = ctx.iteration): ArtifactKey {
  return { campaign: ctx.campaign, iteration, step, name };
}

/** The random stream of one draw site: (campaign seed, iteration, step, ...more ids such as stage and shard). */
export function rngOf(ctx: StepContext, step: StepFolder, ...ids: number[]): Rng {
  return rngFor(ctx.spec.seed, ctx.iteration, streamId(step), ...ids);
}

/** A 32-bit seed for APIs that take one (policy sampling). */
export function seedOf(ctx: StepContext, step: StepFolder, ...ids: number[]): number {
  return rngOf(ctx, step, ...ids).nextUint32();
}

export async function putJson(store: ArtifactStore, key: ArtifactKey, value: unknown): Promise<ArtifactRef> {
  return store.put(key, new TextEncoder().encode(JSON.stringify(value)), MEDIA_TYPES.json);
}

export async function getJson<T>(store: ArtifactStore, ref: ArtifactRef): Promise<T> {
  return JSON.parse(new TextDecoder().decode(await store.get(ref))) as T;
}

/** The step's recorded output, when a previous attempt finished it. */
export async function findOutput<T>(store: ArtifactStore, key: ArtifactKey): Promise<T | undefined> {
  const ref = await store.find(key);
  return ref ? getJson<T>(store, ref) : undefined;
}

export async function readRows<T>(store: ArtifactStore, refs: ArtifactRef[]): Promise<T[]> {
  const out: T[] = [];
  for (const ref of refs) for await (const row of store.readJsonl<T>(ref)) out.push(row);
  return out;
}

export function resolvedModelConfig(spec: CampaignSpec, task: Task): ResolvedModelConfig {
  if (spec.policy.source === 'hf') {
    // The task was re-tokenized for the model (tasks/hf-text.ts) and carries its config; length checks happen per call.
    if (!task.model) throw new Error('internal: policy.source hf needs the task built for the model (loadTask with the store root)');
    const longest = Math.max(...task.trainPrompts.concat(task.evalPrompts).map((p) => p.length));
    if (longest + task.maxNewTokens > task.model.context) {
      throw new InvalidInputError(`sampling.maxNewTokens: the longest prompt (${longest} tokens) + ${task.maxNewTokens} new tokens exceeds the model's context of ${task.model.context} (${task.model.contextSource}); lower sampling.maxNewTokens`);
    }
    return task.model;
  }
  const m = spec.policy.model;
  if (m.vocab !== 0 && m.vocab !== task.vocab) {
    throw new InvalidInputError(`policy.model.vocab is ${m.vocab} but task '${task.name}' needs ${task.vocab}; set it to 0 to take it from the task`);
  }
  const needed = Math.max(...task.trainPrompts.concat(task.evalPrompts).map((p) => p.length)) + task.maxNewTokens;
  if (needed > m.context) {
    throw new InvalidInputError(`policy.model.context is ${m.context} but task '${task.name}' needs ${needed} (longest prompt + response); raise policy.model.context`);
  }
  return { vocab: task.vocab, dModel: m.dModel, layers: m.layers, heads: m.heads, context: m.context, tiedHead: m.tiedHead };
}

export function taskOf(ctx: StepContext): Promise<Task> {
  return loadTask(ctx.spec, ctx.store.root);
}

/**
 * Runs `fn` with a policy runtime for the spec's (model config, execution settings), leased from the process's cache
 * for the call and given back after it, however it ends (see policy-runtimes.ts). ctx.compute says on which thread.
 */
export async function withPolicyRuntime<T>(ctx: StepContext, fn: (runtime: PolicyRuntime) => Promise<T>): Promise<T> {
  const config = resolvedModelConfig(ctx.spec, await taskOf(ctx));
  const { provider, fallback, threads } = ctx.spec.execution;
  const runtime = await leasePolicyRuntime(config, { provider, fallback, threads }, ctx.compute ?? 'inline');
  try {
    return await fn(runtime);
  } finally {
    await runtime.dispose();
  }
}

/**
 * `runtime`, with `owned` (weights a step loaded only to sample and score with, whose arrays it never reads) handed
 * over in every sample / sequenceLogprobs call that names them (WeightsCallOptions.consume): a compute thread then
 * takes them rather than holding a copy beside the step's. For code that takes a runtime and weights (evaluation/).
 */
export function handingOver(runtime: PolicyRuntime, owned: NamedTensors[]): PolicyRuntime {
  const mine = new Set(owned);
  const callOptions = (weights: NamedTensors) => ({ consume: mine.has(weights) });
  return {
    config: runtime.config,
    sample: (weights, prompts, options) => runtime.sample(weights, prompts, options, callOptions(weights)),
    sequenceLogprobs: (weights, prompts, responses) => runtime.sequenceLogprobs(weights, prompts, responses, callOptions(weights)),
    sftStep: (...a) => runtime.sftStep(...a),
    sftSteps: (...a) => runtime.sftSteps(...a),
    preferenceStep: (...a) => runtime.preferenceStep(...a),
    preferenceSteps: (...a) => runtime.preferenceSteps(...a),
    dispose: () => runtime.dispose(),
  };
}

export async function loadWeights(store: ArtifactStore, ref: ArtifactRef): Promise<NamedTensors> {
  return (await getCheckpoint(store, ref)).state.weights;
}

export async function putWeights(store: ArtifactStore, key: ArtifactKey, config: ResolvedModelConfig, weights: NamedTensors, extra: Record<string, string> = {}): Promise<ArtifactRef> {
  return putCheckpoint(store, key, { config, state: { weights, m: new Map(), v: new Map(), step: 0 } }, extra);
}

export function checkAborted(ctx: StepContext): void {
  if (ctx.signal?.aborted) {
    const err = new Error(`${ctx.campaign} iteration ${ctx.iteration}: cancelled`);
    err.name = 'AbortError';
    throw err;
  }
}

/** Rows in fixed-size batches (the runtime bounds memory per call). */
export function* batches<T>(rows: T[], size: number): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
