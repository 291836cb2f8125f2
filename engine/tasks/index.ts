/** The task a campaign spec names, built deterministically from the spec's seed. */
import type { CampaignSpec } from '../../schemas/campaign';
import { createBandit } from './bandit';
import { createText } from './text';
import type { Task } from './types';
import { InvalidInputError } from '../errors';

export type { Task, PromptResponse } from './types';

const cache = new Map<string, Task>();

export function taskFromSpec(spec: CampaignSpec): Task {
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
