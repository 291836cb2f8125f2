/**
 * The task a campaign spec names. Built-in tasks (bandit, text) are made deterministically from the spec's seed, in
 * memory (taskFromSpec); with policy.source 'hf' the task is re-tokenized for the model (hf-text.ts), whose directory
 * is resolved under `storeRoot`. The files task reads the user's prompt files, JSONL or Parquet, and the Parquet reader
 * is asynchronous: so the steps get every task through loadTask, which reads the files before building the task.
 * Decided so rather than making tasks asynchronous objects, or converting the files in setup: a task is still a plain
 * object once built, and every process (any worker, any step) reads the same files the same way.
 */
import type { CampaignSpec } from '../../schemas/campaign';
import { resolveUserPathSync } from '../../store/confine';
import { openHfModelDir, type HfModelDir } from '../checkpoint/hf-dir';
import { createBandit } from './bandit';
import { hfTextTask } from './hf-text';
import { createText } from './text';
import { loadFilesTask } from './files';
import type { Task } from './types';
import { InvalidInputError } from '../errors';

export type { Task, PromptResponse } from './types';

const cache = new Map<string, Task>();
/** Files tasks being read or read, one per (spec, model, store root): concurrent steps in a process share one read. */
const filesCache = new Map<string, Promise<Task>>();

/**
 * The files task (files.ts): the user's prompts through a Hugging Face policy's tokenizer and chat template. pi0 is
 * that model as given, so the files task needs policy.source 'hf' and a reward source that reads text.
 */
function filesTaskOf(spec: CampaignSpec, storeRoot: string | undefined): Promise<Task> {
  if (spec.task.name !== 'files') throw new Error('internal: filesTaskOf() of another task');
  if (spec.policy.source !== 'hf') {
    throw new InvalidInputError('task.name \'files\': pi0 is the given model, so the policy must be a Hugging Face model directory (policy: {source: hf, path: models/<name>}); the built-in decoder has nothing to learn your prompts\' language from');
  }
  const kind = spec.reward.source.kind;
  if (kind !== 'onnx' && kind !== 'activity') {
    throw new InvalidInputError(`reward.source.kind '${kind}': a files task has no gold reward to ${kind === 'gold' ? 'score with' : 'simulate a labeler from'}; use onnx (a reward model) or activity (a reward worker)`);
  }
  if (storeRoot === undefined) throw new Error('internal: a files task needs the artifact store root to find its prompt files');
  const hf = policyModelDir(spec, storeRoot);
  const key = JSON.stringify(['files', spec.task, hf.model.dir, spec.sampling.maxNewTokens, spec.policy.chatTemplate, storeRoot]);
  let task = filesCache.get(key);
  if (!task) {
    const policy = {
      tokenizer: hf.tokenizer, template: spec.policy.chatTemplate ? hf.template : undefined, modelDir: hf.model.dir,
      context: hf.model.config.context, maxNewTokens: spec.sampling.maxNewTokens,
    };
    task = loadFilesTask(storeRoot, spec.task, policy, hf.stopTokens).then((t): Task => ({ ...t, model: hf.model.config }));
    // A file fixed after a refusal is read again by the next attempt.
    task.catch(() => filesCache.delete(key));
    filesCache.set(key, task);
  }
  return task;
}

/** The Hugging Face model directory of policy.source 'hf', resolved under the store root and opened (cached). */
export function policyModelDir(spec: CampaignSpec, storeRoot: string | undefined): HfModelDir {
  if (spec.policy.source !== 'hf') throw new Error('internal: policyModelDir() of a spec whose policy is not a Hugging Face model');
  if (storeRoot === undefined) throw new Error('internal: policy.source hf needs the artifact store root to find policy.path');
  let dir: string;
  try {
    dir = resolveUserPathSync(storeRoot, spec.policy.path);
  } catch (e) {
    if ((e as Error).name !== 'PathEscapeError') throw e;
    throw new InvalidInputError(`policy.path: ${(e as Error).message}; put the model directory under the store root (e.g. <store root>/models/my-model) and write it relative to the root (models/my-model)`);
  }
  try {
    return openHfModelDir(dir);
  } catch (e) {
    if ((e as Error).name === 'InvalidInputError') (e as Error).message = `policy.path: ${(e as Error).message}`;
    throw e;
  }
}

/** Any task, the files task included (its prompt files are read here, asynchronously): what the steps use. */
export async function loadTask(spec: CampaignSpec, storeRoot?: string): Promise<Task> {
  if (spec.task.name === 'files') return filesTaskOf(spec, storeRoot);
  return taskFromSpec(spec, storeRoot);
}

/** A built-in task (bandit, text; text re-tokenized for a Hugging Face policy), built synchronously. */
export function taskFromSpec(spec: CampaignSpec, storeRoot?: string): Task {
  if (spec.task.name === 'files') throw new Error('internal: the files task reads its prompt files asynchronously; build it with loadTask()');
  if (spec.policy.source === 'hf') {
    if (spec.task.name !== 'text') {
      throw new InvalidInputError(`task.name '${spec.task.name}': with policy.source hf the built-in task is 'text' (the bandit task has its own token alphabet, not the model's); set task.name to 'text'`);
    }
    const hf = policyModelDir(spec, storeRoot);
    const hfKey = JSON.stringify([spec.task, spec.seed, hf.model.dir, spec.sampling.maxNewTokens, spec.policy.chatTemplate]);
    let adapted = cache.get(hfKey);
    if (!adapted) {
      adapted = hfTextTask(taskFromSpec({ ...spec, policy: { source: 'builtin' } } as CampaignSpec), hf, spec.sampling.maxNewTokens, spec.policy.chatTemplate);
      cache.set(hfKey, adapted);
    }
    return adapted;
  }
  const key = JSON.stringify([spec.task, spec.seed]);
  const hit = cache.get(key);
  if (hit) return hit;
  let task: Task;
  switch (spec.task.name) {
    case 'bandit': task = createBandit(spec.task, spec.seed); break;
    case 'text': task = createText(spec.task, spec.seed); break;
    default:
      throw new InvalidInputError(`task.name '${String((spec.task as { name: string }).name)}' is not a task; use bandit, text or files`);
  }
  cache.set(key, task);
  return task;
}
