/**
 * pi0 of a campaign whose policy is a Hugging Face model (policy.source 'hf'): the model's own weights, widened to
 * float32 and stored as the campaign's setup/pi0.safetensors, so every later step reads pi0 from the store like a
 * built-in one. The memory a training step needs is estimated from config.json first and a model that cannot fit
 * is refused before any weight is read.
 */
import type { ArtifactRef } from '../../schemas/artifacts';
import { checkModelFits, loadHfModelWeights } from '../checkpoint/hf-model';
import { policyModelDir } from '../tasks';
import { keyOf, putJson, putWeights } from './common';
import type { StepContext } from './types';

export const POLICY_SOURCE = 'policy-source.json';
export interface PolicySource { source: 'hf'; path: string }

export async function importHfPolicy(ctx: StepContext): Promise<ArtifactRef> {
  const key = keyOf(ctx, 'setup', 'pi0.safetensors');
  const found = await ctx.store.find(key);
  if (found) return found;
  const { model } = policyModelDir(ctx.spec, ctx.store.root);
  checkModelFits(model, 'training');
  const weights = loadHfModelWeights(model);
  const modelPath = ctx.spec.policy.source === 'hf' ? ctx.spec.policy.path : '';
  // Where the policy came from, for `prefloop export` (which writes the checkpoints back out beside its files).
  await putJson(ctx.store, keyOf(ctx, 'setup', POLICY_SOURCE), { source: 'hf', path: modelPath } satisfies PolicySource);
  return putWeights(ctx.store, key, model.config, weights, { role: 'pi0', source: 'hf', path: modelPath });
}
