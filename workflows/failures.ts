/**
 * Failure types the campaign workflow raises (non-retryable), for callers that tell them apart. INVALID_SPEC comes
 * from the validateSpec activity (activities/context.ts, whose values workflows may not import; a test checks the two agree).
 */
export const INVALID_SPEC = 'PrefloopInvalidSpec';
export const INVALID_PATCH = 'PrefloopInvalidHyperparameters';
/** An `activity` reward source whose worker never picked the request up, or whose activity failed (reward-request.ts). */
export const REWARD_WORKER_MISSING = 'PrefloopRewardWorkerMissing';
export const REWARD_WORKER_FAILED = 'PrefloopRewardWorkerFailed';
