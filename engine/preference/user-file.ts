/**
 * Files a spec names (reward.source.model, reward.source.tokenizer) are read only from inside the artifact store's
 * root: a relative path is taken from the root, and one that leaves it (`..`, an absolute path elsewhere, a symlink
 * out) is refused, so a spec can never make a worker read arbitrary files (issue 2). Refusals are input errors,
 * named after the spec field, that no retry can fix.
 */
import * as fs from 'node:fs';
import { resolveUserPath } from '../../store/confine';
import { InvalidInputError } from '../errors';

export async function resolveUserFile(root: string, field: string, p: string): Promise<string> {
  try {
    return await resolveUserPath(root, p);
  } catch (e) {
    if ((e as Error).name !== 'PathEscapeError') throw e;
    throw new InvalidInputError(`${field}: ${(e as Error).message}; put the file under the store root (e.g. <store root>/inputs/rm.onnx) and write it in the spec relative to the root (inputs/rm.onnx)`);
  }
}

/** resolveUserFile, and the file must exist; `what` says what belongs there (the message's fix). */
export async function requireUserFile(root: string, field: string, p: string, what: string): Promise<string> {
  const file = await resolveUserFile(root, field, p);
  if (!fs.existsSync(file)) throw new InvalidInputError(`${field}: file '${p}' does not exist (looked at ${file}); put ${what} under the store root and give its path relative to the root`);
  return file;
}
