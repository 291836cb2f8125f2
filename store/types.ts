import type { ArtifactKey, ArtifactRef } from '../schemas/artifacts';

/**
 * The artifact store every layer writes through. Implementations: a local directory (store/local.ts) and an
 * S3-compatible object store (store/s3.ts); store/open.ts picks one from a location.
 */
export interface ArtifactStore {
  /** Absolute root, for implementations that have one. */
  readonly root: string;
  /**
   * Write bytes atomically; returns the ref. Re-writing identical content is a no-op returning the same ref;
   * different content under a finished key replaces it (find() returns the new ref) and the old ref stays readable.
   */
  put(key: ArtifactKey, data: Uint8Array, mediaType: string): Promise<ArtifactRef>;
  /** Write bytes given as chunks atomically, streaming (a model's tensors one by one, never the whole file at once). */
  putChunks(key: ArtifactKey, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, mediaType: string): Promise<ArtifactRef>;
  /** Write rows as JSONL atomically, streaming (rows may be an async iterable of any length). */
  putJsonl(key: ArtifactKey, rows: Iterable<unknown> | AsyncIterable<unknown>): Promise<ArtifactRef>;
  /** The ref of a finished artifact, or undefined. Used by retried activities to skip finished work. */
  find(key: ArtifactKey): Promise<ArtifactRef | undefined>;
  /** Read whole bytes, verifying sha256; throws ArtifactCorruptError / ArtifactMissingError. */
  get(ref: ArtifactRef): Promise<Uint8Array>;
  /**
   * Stream the bytes in chunks; the sha256 is verified at the end of the stream, so a consumer must not act on
   * the data before the iteration finishes without throwing.
   */
  getChunks(ref: ArtifactRef): AsyncIterable<Uint8Array>;
  /** Stream JSONL rows, verifying sha256 at the end of the stream. */
  readJsonl<T = unknown>(ref: ArtifactRef): AsyncIterable<T>;
  /** Every finished artifact of a campaign (from the manifest); pruned ones are not listed. */
  list(campaign: string): Promise<Array<{ key: ArtifactKey; ref: ArtifactRef }>>;
  /** Refs deleted on purpose (`prefloop gc`), for stores that can prune: an audit shows them as pruned, not missing. */
  pruned?(campaign: string): Promise<PrunedArtifact[]>;
}

export interface PrunedArtifact {
  key: ArtifactKey;
  ref: ArtifactRef;
  /** ISO time of the prune, and why (e.g. "prefloop gc --keep best,last,every:10"). */
  at: string;
  reason: string;
}
