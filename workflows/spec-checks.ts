/**
 * The check of a hyper-parameter patch as a non-retryable failure: the only campaign code that needs zod.
 *
 * The campaign workflow validates its spec through the `validateSpec` local activity (activities/context.ts), and
 * loads this module itself only when a hyper-parameter patch arrives (workflows/campaign.ts, `specChecks()`): Temporal
 * evaluates the workflow bundle's imported modules again for every workflow it creates, and building the campaign
 * schema there takes ~20 ms, which every campaign start and every iteration would otherwise pay between two steps.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { CampaignSpec } from '../schemas/campaign';
import { applyHyperparameterPatch } from '../schemas/hyperparameters';
import { SpecError } from '../schemas/spec-error';
import { INVALID_PATCH } from '../schemas/failures';

/** The spec with `patch` applied; an invalid patch is a non-retryable failure naming each field at fault. */
export function patchedSpec(spec: CampaignSpec, patch: unknown): CampaignSpec {
  try {
    return applyHyperparameterPatch(spec, patch);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    throw ApplicationFailure.create({ type: INVALID_PATCH, nonRetryable: true, message: err.message, details: [err.issues] });
  }
}
