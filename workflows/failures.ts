/** Failure types the campaign workflow raises (non-retryable), for callers that tell them apart. */
export const INVALID_SPEC = 'PrefloopInvalidSpec';
export const INVALID_PATCH = 'PrefloopInvalidHyperparameters';
