/**
 * The one way the CLI and the workers open the artifact store a location names: a directory (local or a shared file
 * system), or `s3://bucket/prefix` (AWS_ENDPOINT_URL, AWS_REGION and the AWS credentials chain configure the client;
 * PREFLOOP_SCRATCH is the local directory for spooled uploads and downloaded inputs). The backend is loaded on first
 * use, so a client or a bundler that only needs the plugin's types never loads it.
 */
import type { ArtifactStore } from './types';

export function openStore(location: string): ArtifactStore {
  if (/^s3:\/\//i.test(location)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3ArtifactStore } = require('./s3') as typeof import('./s3');
    return new S3ArtifactStore({ location });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LocalArtifactStore } = require('./local') as typeof import('./local');
  return new LocalArtifactStore(location);
}
