/**
 * Where user inputs come from. With a local store they are files under its root already. A remote store (s3.ts)
 * registers its local scratch root here with a fetcher, and resolveUserPath (confine.ts) asks it to bring a path
 * (a file, or a directory's files) down, verified, before the engine reads it: every spec path that goes through
 * resolveUserPath works the same on either backend.
 */
type Fetcher = (relative: string) => Promise<void>;

const sources = new Map<string, Fetcher>();

export function registerInputSource(realRoot: string, fetch: Fetcher): void {
  sources.set(realRoot, fetch);
}

export async function materializeInput(realRoot: string, relative: string): Promise<void> {
  await sources.get(realRoot)?.(relative);
}
