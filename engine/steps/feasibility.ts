/**
 * The checks of a campaign spec that need no compute: a spec the built-in steps cannot run (a Hugging Face policy
 * that is missing, malformed or too large for the machine, or on a task other than 'text' or 'files'; offline.pairs
 * without a Hugging Face policy, a model context too small for the task, an execution provider that cannot load with fallback
 * 'none', an etaSchedule that does not decrease) fails here, at the start of setup, before prompt pools are written
 * or pi0 is trained, instead of minutes later in the step that first trips on it. Each check throws the same
 * InvalidInputError (or ProviderUnavailableError) that the step would, so the message names the field and the fix.
 * Given the store root, it also refuses a file the reward source names (an ONNX reward model, its tokenizer) that is
 * missing or outside the root.
 * Before all of these, a spec too large for the machine (memory, work per step, rows in memory, disk) is refused with
 * its estimate (engine/resources/refuse.ts).
 */
import type { CampaignSpec } from '../../schemas/campaign';
import { iterationPlan } from '../plans/plan';
import { rewardSourceFor } from '../preference/sources';
import { resolvedProvider } from '../runtime/sessions';
import { loadTask } from '../tasks';
import { InvalidInputError } from '../errors';
import { requireUserFile } from '../preference/user-file';
import { resolvedModelConfig } from './common';
import { checkResources, checkWorkFits } from '../resources/refuse';
import type { IterationPlan } from '../../schemas/plan';
import { checkModelFits } from '../checkpoint/hf-model';
import { policyModelDir } from '../tasks';

/** A Hugging Face policy: a reward model the built-in steps cannot build for it, and memory for training. */
function checkHfPolicy(spec: CampaignSpec, storeRoot: string | undefined): void {
  const source = spec.reward.source;
  if (source.kind === 'bt-model' && source.model === 'neural') {
    throw new InvalidInputError("reward.source.model 'neural': the neural Bradley-Terry reward model is built on the built-in decoder's trunk; with policy.source hf use reward.source.model 'linear' or another reward source");
  }
  checkModelFits(policyModelDir(spec, storeRoot).model, 'training');
}

export async function checkFeasible(spec: CampaignSpec, storeRoot?: string): Promise<void> {
  if (spec.offline.pairs !== undefined) {
    if (spec.policy.source !== 'hf') throw new InvalidInputError('offline.pairs: a preference dataset is text, tokenized by the policy\'s tokenizer; it needs a Hugging Face policy (policy.source: hf), or use offline.prompts');
    if (spec.offline.prompts > 0) throw new InvalidInputError('offline.pairs and offline.prompts are two ways to make D_off; give one of them');
    if (spec.reward.source.kind === 'bt-model') throw new InvalidInputError('offline.pairs: reward.source.kind \'bt-model\' re-fits on the task\'s features, which a dataset\'s pairs do not have; use onnx or activity');
    if (storeRoot !== undefined) await requireUserFile(storeRoot, 'offline.pairs', spec.offline.pairs, 'a JSONL or Parquet preference dataset (prompt, chosen, rejected)');
  }
  // Sizes first: building the task's prompt pools or the policy is itself what an oversized spec cannot afford.
  checkResources(spec, { storeRoot });
  const task = await loadTask(spec, storeRoot);
  if (spec.policy.source === 'hf') checkHfPolicy(spec, storeRoot);
  const source = rewardSourceFor(spec.reward.source);
  if (storeRoot !== undefined) await source.checkFiles?.(storeRoot);
  resolvedModelConfig(spec, task);
  for (let t = 1; t <= spec.iterations; t++) iterationPlan(spec, t);
  // A tiny probe session (milliseconds, cached per process), not the policy's: the provider either loads or not.
  const { provider, fallback, threads } = spec.execution;
  await resolvedProvider({ provider, fallback, threads });
}

/**
 * Iteration t's plan, after re-checking the sizes a hyper-parameter patch can change (`prefloop set sampling.n=...`):
 * an iteration that cannot run on this machine is refused before it samples.
 */
export function checkedIterationPlan(spec: CampaignSpec, iteration: number): IterationPlan {
  checkWorkFits(spec);
  return iterationPlan(spec, iteration);
}
