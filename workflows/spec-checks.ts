/**
 * Checks of specs and hyper-parameter patches as non-retryable failures: the only campaign code that needs zod.
 *
 * The campaign workflow validates its spec through the `validateSpec` local activity (activities/index.ts), and
 * loads this module itself only when a hyper-parameter patch arrives (workflows/campaign.ts, `specChecks()`): Temporal
 * evaluates the workflow bundle's imported modules again for every workflow it creates, and building the campaign
 * schema there takes ~20 ms, which every campaign start and every iteration would otherwise pay between two steps.
 */
import { ApplicationFailure } from '@temporalio/common';
import { CampaignSpecSchema, type CampaignSpec } from '../schemas/campaign';
import { applyHyperparameterPatch } from '../schemas/hyperparameters';
import { SpecError } from '../schemas/spec-error';
import { toSpecIssues } from '../schemas/spec-issues';
import { INVALID_PATCH, INVALID_SPEC } from './failures';

/** Every problem of the spec at once, each with its field path; the campaign fails at once, without retries. */
export function validateSpec(raw: unknown): CampaignSpec {
  const parsed = CampaignSpecSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const error = new SpecError(toSpecIssues(parsed.error.issues, CampaignSpecSchema, raw));
  throw ApplicationFailure.create({ type: INVALID_SPEC, nonRetryable: true, message: error.message, details: [error.issues] });
}

/** The spec with `patch` applied; an invalid patch is a non-retryable failure naming each field at fault. */
export function patchedSpec(spec: CampaignSpec, patch: unknown): CampaignSpec {
  try {
    return applyHyperparameterPatch(spec, patch);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    throw ApplicationFailure.create({ type: INVALID_PATCH, nonRetryable: true, message: err.message, details: [err.issues] });
  }
}
