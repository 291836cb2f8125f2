/**
 * The one way the CLI and the workers open the artifact store a root names. The backend is loaded on first use, so
 * a client or a bundler that only needs the plugin's types never loads it.
 */
import type { ArtifactStore } from './types';

export function openStore(root: string): ArtifactStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LocalArtifactStore } = require('./local') as typeof import('./local');
  return new LocalArtifactStore(root);
}
