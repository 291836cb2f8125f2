import { z } from 'zod';
import {
  BudgetSchema, CampaignSpecSchema, EvaluationSchema, PairsSchema, RejectionSamplingSchema, SamplingSchema, UpdateSchema,
  type CampaignSpec,
} from './campaign';
import { SpecError } from './spec-error';
import { formatPath, toSpecIssues } from './spec-issues';

/**
 * A running campaign's setHyperparameters update. Only knobs that can change between iterations without
 * invalidating what was already computed are patchable; the algorithm, task, policy, reward source and
 * execution are frozen once a campaign starts (fork the campaign with a new spec to change those).
 */

export interface HyperparameterPatch {
  update?: Partial<CampaignSpec['update']>;
  sampling?: Partial<CampaignSpec['sampling']>;
  pairs?: Partial<CampaignSpec['pairs']>;
  rejectionSampling?: Partial<CampaignSpec['rejectionSampling']>;
  evaluation?: Partial<CampaignSpec['evaluation']>;
  reward?: { lengthPenalty?: number };
  budget?: Partial<CampaignSpec['budget']>;
}

const SECTIONS = {
  update: UpdateSchema, sampling: SamplingSchema, pairs: PairsSchema, rejectionSampling: RejectionSamplingSchema,
  evaluation: EvaluationSchema, budget: BudgetSchema,
} as const;

/** Field schemas without their defaults: an omitted field in a patch means "leave as is", never "reset". */
function optionalFields(shape: Record<string, z.ZodType>): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(shape).map(([k, s]) => {
    const def = (s as any)._zod.def;
    const inner = def.type === 'default' || def.type === 'prefault' ? def.innerType : s;
    return [k, (inner as z.ZodType).optional()];
  }));
}

const CHANGEABLE = [...Object.keys(SECTIONS).map((k) => `${k}.*`), 'reward.lengthPenalty'];

export const HyperparameterPatchSchema = z.strictObject({
  ...Object.fromEntries(Object.entries(SECTIONS).map(([k, s]) => [k, z.strictObject(optionalFields(s.shape)).optional()])),
  reward: z.strictObject({ lengthPenalty: z.number().nonnegative().optional() }).optional(),
}) as unknown as z.ZodType<HyperparameterPatch>;

const SPEC_KEYS = new Set(Object.keys(CampaignSpecSchema.shape));

function frozenFieldMessage(path: readonly PropertyKey[], key: string): string | undefined {
  const frozen = (path.length === 0 && SPEC_KEYS.has(key)) || (path.length === 1 && path[0] === 'reward' && key === 'source');
  if (!frozen) return undefined;
  return `cannot be changed while a campaign runs; fork the campaign with a new spec instead (changeable: ${CHANGEABLE.join(' | ')})`;
}

function withoutUndefined(o: object | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined));
}

/**
 * Merge a patch into a running campaign's spec and re-validate the whole spec, so errors carry full field
 * paths and cross-field rules (accepted <= candidates) still hold. Throws SpecError; never returns a bad spec.
 */
export function applyHyperparameterPatch(spec: CampaignSpec, patch: unknown): CampaignSpec {
  const parsed = HyperparameterPatchSchema.safeParse(patch);
  if (!parsed.success) {
    throw new SpecError(
      toSpecIssues(parsed.error.issues, HyperparameterPatchSchema, patch, (p, k) => frozenFieldMessage(p, k)),
      undefined, 'hyperparameter patch',
    );
  }
  const p = parsed.data;
  const merged: Record<string, unknown> = { ...spec };
  for (const section of [...Object.keys(SECTIONS), 'reward'] as const) {
    const change = (p as Record<string, object | undefined>)[section];
    if (change) merged[section] = { ...(spec as Record<string, any>)[section], ...withoutUndefined(change) };
  }
  const result = CampaignSpecSchema.safeParse(merged);
  if (!result.success) {
    throw new SpecError(toSpecIssues(result.error.issues, CampaignSpecSchema, merged), 'after applying the patch', 'hyperparameter patch');
  }
  return result.data;
}

/** Dotted paths of the leaf fields a patch sets, for logs and search attributes. */
export function patchedFields(patch: HyperparameterPatch): string[] {
  return Object.entries(patch).flatMap(([section, fields]) =>
    Object.entries(withoutUndefined(fields as object)).map(([k]) => formatPath([section, k])));
}
