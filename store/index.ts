/** `prefloop/store`: the content-addressed artifact store (local directory or S3-compatible object store). */
export type { ArtifactStore } from './types';
export { LocalArtifactStore } from './local';
export { ArtifactCorruptError, ArtifactMissingError, InvalidArtifactKeyError, PathEscapeError } from './errors';
export { keyToUri, uriToKey } from './keys';
