/**
 * Failure types prefloop raises, defined once for every layer: the activities raise them (activities/context.ts), the
 * workflows raise some and stop retrying all of them (workflows/activity-options.ts), callers tell them apart.
 * No imports: the workflow bundle includes this file.
 */

/** Input the engine cannot use (a spec field, a data or model file, a step's input). */
export const INVALID_INPUT = 'PrefloopInvalidInput';
export const ARTIFACT_MISSING = 'PrefloopArtifactMissing';
export const ARTIFACT_CORRUPT = 'PrefloopArtifactCorrupt';
/** An artifact `prefloop gc` deleted on purpose: a step that needs it cannot run (fork from a kept iteration). */
export const ARTIFACT_PRUNED = 'PrefloopArtifactPruned';
/** An execution provider that cannot load, with fallback 'none'. */
export const PROVIDER_UNAVAILABLE = 'PrefloopProviderUnavailable';
/** A spec too large for the machine (engine/resources), or an engine RangeError no retry can fix. */
export const RESOURCE_LIMIT = 'PrefloopResourceLimit';
/** An invalid campaign spec: the validateSpec activity raises it and the campaign workflow fails with it itself. */
export const INVALID_SPEC = 'PrefloopInvalidSpec';
/** A hyperparameter patch (`prefloop set`) the campaign refuses. */
export const INVALID_PATCH = 'PrefloopInvalidHyperparameters';
/** An `activity` reward source whose worker never picked the request up, or whose activity failed (reward-request.ts). */
export const REWARD_WORKER_MISSING = 'PrefloopRewardWorkerMissing';
export const REWARD_WORKER_FAILED = 'PrefloopRewardWorkerFailed';

/**
 * Error names (store/errors.ts, schemas/spec-error.ts, engine/errors.ts) that no retry can fix, and the failure type
 * each becomes. Matched by name, not instanceof: errors from the engine's worker threads arrive as plain Errors that
 * keep their name (engine/runtime/workerProtocol.ts). activities/context.ts checks at compile time that every engine
 * input error is here.
 */
export const NON_RETRYABLE_ERRORS = {
  ArtifactMissingError: ARTIFACT_MISSING,
  ArtifactCorruptError: ARTIFACT_CORRUPT,
  ArtifactPrunedError: ARTIFACT_PRUNED,
  PathEscapeError: INVALID_INPUT,
  InvalidArtifactKeyError: INVALID_INPUT,
  StoreConfigError: INVALID_INPUT,
  SpecError: INVALID_INPUT,
  InvalidInputError: INVALID_INPUT,
  CheckpointFormatError: ARTIFACT_CORRUPT,
  ProviderUnavailableError: PROVIDER_UNAVAILABLE,
  ResourceLimitError: RESOURCE_LIMIT,
} as const satisfies Readonly<Record<string, string>>;

/**
 * What a retry policy stops on: the failure types above and the error names they come from. The names matter when
 * such an error escapes the activities' wrapper: the SDK then turns it into a failure whose type is the error's name.
 */
export const NON_RETRYABLE_ERROR_TYPES: readonly string[] = [...new Set([...Object.values(NON_RETRYABLE_ERRORS), ...Object.keys(NON_RETRYABLE_ERRORS)])];
