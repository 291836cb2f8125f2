/**
 * The task a campaign spec names, built deterministically from the spec's seed. With policy.source 'hf' the task is
 * re-tokenized for the model (hf-text.ts); its directory is resolved under `storeRoot`, which such specs need.
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

/**
 * The files task (files.ts): the user's prompts through a Hugging Face policy's tokenizer and chat template. pi0 is
 * that model as given, so the files task needs policy.source 'hf' and a reward source that reads text.
 */
function filesTaskOf(spec: CampaignSpec, storeRoot: string | undefined): Task {
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
  let task = cache.get(key);
  if (!task) {
    const policy = {
      tokenizer: hf.tokenizer, template: spec.policy.chatTemplate ? hf.template : undefined, modelDir: hf.model.dir,
      context: hf.model.config.context, maxNewTokens: spec.sampling.maxNewTokens,
    };
    task = { ...loadFilesTask(storeRoot, spec.task, policy, hf.stopTokens), model: hf.model.config };
    cache.set(key, task);
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

export function taskFromSpec(spec: CampaignSpec, storeRoot?: string): Task {
  if (spec.task.name === 'files') return filesTaskOf(spec, storeRoot);
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
