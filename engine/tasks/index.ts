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
import type { Task } from './types';
import { InvalidInputError } from '../errors';

export type { Task, PromptResponse } from './types';

const cache = new Map<string, Task>();

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
      throw new InvalidInputError(`task.name '${spec.task.name}': built-in algorithms run on the built-in tasks 'bandit' and 'text'; a 'files' task needs a user reward model and is not supported by the in-process runner`);
  }
  cache.set(key, task);
  return task;
}
