/**
 * Errors caused by what the user gave (the campaign spec, data files, model files, checkpoints) rather than by a
 * transient condition: the same input fails the same way on every attempt, so callers must not retry them, and
 * the message alone must let the user fix it (what is wrong, where: field, file or value, and the fix).
 *
 * Callers classify by `name`, never by `instanceof`: an error thrown in a worker thread (runtime/worker.ts) reaches
 * the caller as a plain Error that keeps only its name, message and primitive fields.
 */

export class InvalidInputError extends Error {
  override readonly name: string = 'InvalidInputError';
}

/**
 * A spec whose estimated memory, work or storage cannot fit this machine (engine/resources/refuse.ts): refused before
 * any compute, with the estimate and the limit in the message.
 */
export class ResourceLimitError extends InvalidInputError {
  override readonly name: string = 'ResourceLimitError';
}

/**
 * Names of the engine's input errors (InvalidInputError and the classes that specialise it elsewhere in engine/):
 * no retry can fix any of them.
 */
export const INPUT_ERROR_NAMES = ['InvalidInputError', 'CheckpointFormatError', 'ProviderUnavailableError', 'ResourceLimitError'] as const;
export type InputErrorName = (typeof INPUT_ERROR_NAMES)[number];

/** True for an engine input error, also when it crossed a worker-thread boundary (where only its name survives). */
export function isInputError(err: unknown): err is Error & { name: InputErrorName } {
  return err instanceof Error && (INPUT_ERROR_NAMES as readonly string[]).includes(err.name);
}
