/**
 * Failure types the campaign workflow raises (non-retryable), for callers that tell them apart. INVALID_SPEC comes
 * from the validateSpec activity (activities/context.ts, whose values workflows may not import; a test checks the two agree).
 */
export const INVALID_SPEC = 'PrefloopInvalidSpec';
export const INVALID_PATCH = 'PrefloopInvalidHyperparameters';
