/**
 * Checkpoints in the artifact store, streamed both ways: a put writes the header and then each tensor's own bytes,
 * a read fills each tensor straight from the stream. A model never sits in memory twice (as a file and as tensors),
 * which at real sizes (issue 13: 135M-0.5B parameters plus AdamW moments) would double setup's and every step's peak.
 */
import { MEDIA_TYPES, type ArtifactKey, type ArtifactRef } from '../../schemas/artifacts';
import type { ArtifactStore } from '../../store/types';
import { checkpointChunks, readCheckpoint, type LoadedCheckpoint, type PolicyCheckpoint } from './checkpoint';

export function putCheckpoint(store: ArtifactStore, key: ArtifactKey, ckpt: PolicyCheckpoint, extra: Record<string, string> = {}): Promise<ArtifactRef> {
  return store.putChunks(key, checkpointChunks(ckpt, extra), MEDIA_TYPES.safetensors);
}

export function getCheckpoint(store: ArtifactStore, ref: ArtifactRef): Promise<LoadedCheckpoint> {
  return readCheckpoint(store.getChunks(ref), ref.bytes, ref.uri);
}
