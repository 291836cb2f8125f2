import * as fs from 'node:fs';
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

/** Every entry of a manifest file, oldest first; [] when there is none yet. */
export async function readManifest(file: string): Promise<ManifestEntry[]> {
  return new ManifestReader(file).read();
}

/**
 * One campaign's manifest, read incrementally: it only grows (appends, tombstones included), so a later read parses
 * only the bytes appended since the last one, by this process or another. Reading it whole on every find() made each
 * step's cost grow with the campaign's length (a 1,000-iteration campaign has ~10,000 lines). A file that shrank or
 * was replaced is read again from the start; a last line without its newline yet is left for the next read.
 */
export class ManifestReader {
  private entries: ManifestEntry[] = [];
  private offset = 0;
  private inode?: number;
  private reading: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Every entry, oldest first (a copy: the caller may keep it while the manifest grows). */
  read(): Promise<ManifestEntry[]> {
    const next = this.reading.then(() => this.refresh());
    this.reading = next.catch(() => undefined);
    return next;
  }

  private async refresh(): Promise<ManifestEntry[]> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.reset();
      return [];
    }
    if (stat.ino !== this.inode || stat.size < this.offset) {
      this.reset();
      this.inode = stat.ino;
    }
    if (stat.size > this.offset) {
      const fh = await fs.promises.open(this.file, 'r');
      try {
        const bytes = Buffer.alloc(stat.size - this.offset);
        const { bytesRead } = await fh.read(bytes, 0, bytes.length, this.offset);
        const end = bytes.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (end >= 0) {
          for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
            const entry = parseLine(line);
            if (entry) this.entries.push(entry);
          }
          this.offset += end + 1;
        }
      } finally {
        await fh.close();
      }
    }
    return this.entries.slice();
  }

  private reset(): void {
    this.entries = [];
    this.offset = 0;
    this.inode = undefined;
  }
}

function parseLine(line: string): ManifestEntry | undefined {
  if (!line.trim()) return undefined;
  try {
    const entry = JSON.parse(line) as ManifestEntry;
    return entry && entry.key && entry.ref ? entry : undefined;
  } catch {
    // A torn line from a crash mid-append: the artifact it described is re-found or re-written.
    return undefined;
  }
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
