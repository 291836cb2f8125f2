/** `prefloop/store`: the content-addressed artifact store (local directory or S3-compatible object store). */
export type { ArtifactStore, PrunedArtifact } from './types';
export { openStore } from './open';
export { LocalArtifactStore } from './local';
export { S3ArtifactStore, type S3StoreOptions } from './s3';
export {
  ArtifactCorruptError, ArtifactMissingError, ArtifactPrunedError, InvalidArtifactKeyError, PathEscapeError, StoreConfigError, StoreUnavailableError,
} from './errors';
export { keyToUri, uriToKey } from './keys';
