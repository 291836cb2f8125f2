import * as fs from 'node:fs';
import * as readline from 'node:readline';
import type { ArtifactKey, ArtifactRef } from '../schemas/artifacts';

/**
 * The manifest: `<root>/<campaign>/manifest.jsonl`, append-only, one line per finished artifact, written
 * after the artifact's rename is durable. A line that a crash cut short is ignored on read, so the manifest
 * never claims an artifact that is not there. Re-writes of a key append a new line; the last one wins.
 */

export interface ManifestEntry {
  key: ArtifactKey;
  ref: ArtifactRef;
  /** ISO time the artifact was committed. */
  at: string;
  /** sha256 of the content this write replaced (kept readable under `.versions/`). */
  replaced?: string;
  /**
   * A tombstone: `ref`'s content was deleted on purpose (`prefloop gc`), for this reason. Appended before the file is
   * removed, so the manifest never lists as present what is gone, and a read of the ref says "pruned", not "missing".
   */
  pruned?: string;
}

export async function readManifest(file: string): Promise<ManifestEntry[]> {
  let stream: fs.ReadStream;
  try {
    await fs.promises.access(file);
    stream = fs.createReadStream(file, { encoding: 'utf8' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const entries: ManifestEntry[] = [];
  for await (const line of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as ManifestEntry;
      if (entry && entry.key && entry.ref) entries.push(entry);
    } catch {
      // A torn last line from a crash mid-append: the artifact it described is re-found or re-written.
    }
  }
  return entries;
}

export async function appendManifest(file: string, entry: ManifestEntry): Promise<void> {
  // One write() of one line on an O_APPEND descriptor: concurrent writers never interleave within a line.
  const fh = await fs.promises.open(file, 'a', 0o644);
  try {
    await fh.write(`${JSON.stringify(entry)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
