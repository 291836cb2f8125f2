/**
 * Store errors carry stable names so Temporal retry policies can tell them apart: a path that escapes the
 * root or a malformed key never gets better on retry; a corrupt artifact needs its producer re-run.
 */

export class ArtifactCorruptError extends Error {
  override readonly name = 'ArtifactCorruptError';
  constructor(readonly uri: string, readonly expected: string, readonly actual: string, detail = '') {
    super(`artifact ${uri} is corrupt: expected sha256 ${expected}, found ${actual}${detail ? ` (${detail})` : ''}; `
      + 're-run the step that produced it');
  }
}

export class ArtifactMissingError extends Error {
  override readonly name = 'ArtifactMissingError';
  constructor(readonly uri: string, readonly path: string) {
    super(`artifact ${uri} is missing (no file at ${path}); re-run the step that produced it`);
  }
}

export class PathEscapeError extends Error {
  override readonly name = 'PathEscapeError';
  constructor(readonly path: string, readonly root: string, reason: string) {
    super(`path ${JSON.stringify(path)} is refused: ${reason}; keep files inside ${root} (copy them there, not a symlink out of it)`);
  }
}

export class InvalidArtifactKeyError extends Error {
  override readonly name = 'InvalidArtifactKeyError';
  constructor(readonly field: string, readonly value: unknown, reason: string) {
    super(`invalid artifact ${field} ${JSON.stringify(value)}: ${reason}`);
  }
}

export class ArtifactPrunedError extends Error {
  override readonly name = 'ArtifactPrunedError';
  constructor(readonly uri: string, readonly sha256: string, readonly at: string, readonly reason: string) {
    super(`artifact ${uri} (sha256 ${sha256.slice(0, 12)}) was pruned at ${at} (${reason}); its iteration's kept artifacts, `
      + 'or a fork from a kept iteration, are what remains');
  }
}

/**
 * The store cannot be used as configured (a bucket that does not exist, no or wrong credentials, a prefix that
 * escapes, an unparsable PREFLOOP_STORE): no retry can fix it. The message names the bucket, key or variable.
 */
export class StoreConfigError extends Error {
  override readonly name = 'StoreConfigError';
}

/** The store's endpoint did not answer (after the client's own retries with backoff): a later attempt may succeed. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
