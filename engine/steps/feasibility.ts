/**
 * The checks of a campaign spec that need no compute: a spec the built-in steps cannot run (policy.source 'onnx',
 * task 'files', offline.pairs, a model context too small for the task, an execution provider that cannot load with fallback
 * 'none', an etaSchedule that does not decrease) fails here, at the start of setup, before prompt pools are written
 * or pi0 is trained, instead of minutes later in the step that first trips on it. Each check throws the same
 * InvalidInputError (or ProviderUnavailableError) that the step would, so the message names the field and the fix.
 * Given the store root, it also refuses an ONNX reward model (or its tokenizer) that is missing or outside the root.
 */
import type { CampaignSpec } from '../../schemas/campaign';
import { iterationPlan } from '../plans/plan';
import { checkOnnxRewardFiles } from '../preference/onnx-reward';
import { checkOnnxRewardDir, isRewardModelDir } from '../preference/onnx-reward-dir';
import { resolvedProvider } from '../runtime/sessions';
import { taskFromSpec } from '../tasks';
import { InvalidInputError } from '../errors';
import { resolvedModelConfig } from './common';

export async function checkFeasible(spec: CampaignSpec, storeRoot?: string): Promise<void> {
  if (spec.offline.pairs) throw new InvalidInputError('offline.pairs: a user file of offline pairs is not supported by the built-in tasks; use offline.prompts');
  const task = taskFromSpec(spec);
  const source = spec.reward.source;
  if (storeRoot !== undefined && source.kind === 'onnx') {
    if (await isRewardModelDir(storeRoot, source.model)) await checkOnnxRewardDir(storeRoot, source.model, source.tokenizer);
    else await checkOnnxRewardFiles(storeRoot, source.model, source.tokenizer);
  }
  resolvedModelConfig(spec, task);
  for (let t = 1; t <= spec.iterations; t++) iterationPlan(spec, t);
  // A tiny probe session (milliseconds, cached per process), not the policy's: the provider either loads or not.
  const { provider, fallback, threads } = spec.execution;
  await resolvedProvider({ provider, fallback, threads });
}
