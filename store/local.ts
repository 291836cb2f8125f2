import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MEDIA_TYPES, type ArtifactKey, type ArtifactRef } from '../schemas/artifacts';
import type { ArtifactStore, PrunedArtifact } from './types';
import { assertRealpathInside } from './confine';
import { ArtifactCorruptError, ArtifactMissingError, ArtifactPrunedError, PathEscapeError } from './errors';
import { checkRef, encodeJsonl, parseJsonlStream } from './jsonl';
import { keySegments, keyToUri, sameKey, uriToKey, validateKey } from './keys';
import { appendManifest, ManifestReader, type ManifestEntry } from './manifest';

/**
 * The artifact store on a local (or mounted) directory.
 *
 * Layout: `<root>/<campaign>/iter-<t>/<step>/<name>`, plus `<root>/<campaign>/manifest.jsonl`.
 * Writes: temp file in the same directory -> write + sha256 -> fsync -> rename -> fsync dir -> manifest line.
 *   A process killed at any point leaves the previous version at the final path and the manifest unchanged;
 *   its temp file (`.<name>.tmp-...`) is swept by the next write of the same name.
 * Re-writes: identical content returns the existing ref. Different content for a finished key replaces it
 *   (the new ref is what find() returns) and the old content stays readable by its old ref: it is hard-linked
 *   to `.versions/<name>@<sha256>` before the rename, and both writes are in the manifest. So a ref that a
 *   workflow history holds never goes stale, and resumable state (e.g. a training checkpoint re-saved under one
 *   name) can be overwritten.
 * Reads verify sha256 and fail with ArtifactCorruptError / ArtifactMissingError.
 * Confinement: keys are plain names (see keys.ts), and every directory and file is realpath-checked against the
 *   root, so a symlink placed in the tree cannot lead a read or write outside it.
 * One writer per key at a time (Temporal runs one attempt of an activity at a time); concurrent writers of
 *   different keys are safe.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;
  private readonly manifests = new Map<string, ManifestReader>();

  constructor(root: string) {
    fs.mkdirSync(root, { recursive: true });
    this.root = fs.realpathSync(root);
  }

  async put(key: ArtifactKey, data: Uint8Array, mediaType: string): Promise<ArtifactRef> {
    return this.write(key, mediaType, (async function* () { yield data; })(), undefined);
  }

  async putChunks(key: ArtifactKey, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, mediaType: string): Promise<ArtifactRef> {
    return this.write(key, mediaType, (async function* () { yield* chunks; })(), undefined);
  }

  async putJsonl(key: ArtifactKey, rows: Iterable<unknown> | AsyncIterable<unknown>): Promise<ArtifactRef> {
    const counter = { rows: 0 };
    return this.write(key, MEDIA_TYPES.jsonl, encodeJsonl(rows, counter, keyToUri(key)), counter);
  }

  async find(key: ArtifactKey): Promise<ArtifactRef | undefined> {
    const entry = await this.latest(key);
    if (!entry || entry.pruned !== undefined) return undefined;
    try {
      await this.verify(entry.ref);
      return entry.ref;
    } catch (e) {
      // A missing or corrupt artifact is not finished work: the caller recomputes and re-puts it.
      if (e instanceof ArtifactCorruptError || e instanceof ArtifactMissingError) return undefined;
      throw e;
    }
  }

  async get(ref: ArtifactRef): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const chunk of this.getChunks(ref)) parts.push(chunk);
    return Buffer.concat(parts);
  }

  async *getChunks(ref: ArtifactRef): AsyncIterable<Uint8Array> {
    const file = await this.locate(checkRef(ref));
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    } catch (e) {
      throw await this.prunedOr(missingOr(e, ref.uri, file), ref);
    }
    const actual = hash.digest('hex');
    if (actual !== ref.sha256) throw new ArtifactCorruptError(ref.uri, ref.sha256, actual, `${bytes} bytes, expected ${ref.bytes}`);
  }

  async *readJsonl<T = unknown>(ref: ArtifactRef): AsyncIterable<T> {
    const file = await this.locate(checkRef(ref));
    try {
      yield* parseJsonlStream<T>(fs.createReadStream(file, { highWaterMark: 1 << 20 }), ref);
    } catch (e) {
      throw await this.prunedOr(missingOr(e, ref.uri, file), ref);
    }
  }

  async list(campaign: string): Promise<Array<{ key: ArtifactKey; ref: ArtifactRef }>> {
    validateKey({ campaign, iteration: 0, step: 'list', name: 'list' });
    const latest = new Map<string, ManifestEntry>();
    for (const entry of await this.manifest(campaign)) {
      const id = keyToUri(entry.key);
      latest.delete(id);
      latest.set(id, entry);
    }
    return [...latest.values()].filter((e) => e.pruned === undefined).map(({ key, ref }) => ({ key, ref }));
  }

  /** Every pruned ref of a campaign (each version of each pruned key), oldest first. */
  async pruned(campaign: string): Promise<PrunedArtifact[]> {
    validateKey({ campaign, iteration: 0, step: 'list', name: 'list' });
    return (await this.manifest(campaign))
      .filter((e) => e.pruned !== undefined).map(({ key, ref, at, pruned }) => ({ key, ref, at, reason: pruned! }));
  }

  /**
   * Delete a finished key's content, every version of it, leaving a tombstone per version in the manifest first: a
   * crash in between leaves a file the manifest calls pruned (the next prune removes it), never the reverse. Returns
   * the refs pruned now (none when the key was already pruned or never written).
   */
  async prune(key: ArtifactKey, reason: string): Promise<ArtifactRef[]> {
    validateKey(key);
    const entries = (await this.manifest(key.campaign)).filter((e) => sameKey(e.key, key));
    const gone = new Set(entries.filter((e) => e.pruned !== undefined).map((e) => e.ref.sha256));
    const refs = [...new Map(entries.filter((e) => e.pruned === undefined && !gone.has(e.ref.sha256)).map((e) => [e.ref.sha256, e.ref])).values()];
    const segments = keySegments(key);
    const file = path.join(this.root, ...segments);
    const at = new Date().toISOString();
    for (const ref of refs) await appendManifest(this.manifestPath(key.campaign), { key: { ...key }, ref, at, pruned: reason });
    for (const ref of refs) {
      const version = versionPath(path.dirname(file), segments[segments.length - 1], ref.sha256);
      await assertRealpathInside(this.root, path.dirname(file), ref.uri);
      await fs.promises.rm(version, { force: true });
    }
    if (refs.length) await fs.promises.rm(file, { force: true });
    return refs;
  }

  // --- writing ---------------------------------------------------------------------------------------------

  private async write(key: ArtifactKey, mediaType: string, chunks: AsyncIterable<Uint8Array>, counter?: { rows: number }): Promise<ArtifactRef> {
    const uri = keyToUri(key);
    const segments = keySegments(key);
    const dir = await this.makeDirs(segments.slice(0, -1), uri);
    const base = segments[segments.length - 1];
    const file = path.join(dir, base);
    await sweepStaleTemps(dir, base);

    const tmp = path.join(dir, `.${base}.tmp-${HOST}-${process.pid}-${randomBytes(4).toString('hex')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const fh = await fs.promises.open(tmp, 'wx', 0o644);
    try {
      for await (const chunk of chunks) {
        hash.update(chunk);
        for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        bytes += chunk.length;
      }
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => undefined);
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
    await fh.close();

    const ref: ArtifactRef = { uri, sha256: hash.digest('hex'), bytes, mediaType, ...(counter ? { rows: counter.rows } : {}) };
    const latest = await this.latest(key);
    const current = latest?.pruned === undefined ? latest : undefined;
    if (current && current.ref.sha256 === ref.sha256 && await this.verify(current.ref).then(() => true, () => false)) {
      await fs.promises.rm(tmp, { force: true });
      return current.ref;
    }
    if (current && current.ref.sha256 !== ref.sha256) await preserveVersion(dir, base, current.ref.sha256);
    try {
      await fs.promises.rename(tmp, file);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
    await fsyncDir(dir);
    await appendManifest(this.manifestPath(key.campaign), {
      key: { campaign: key.campaign, iteration: key.iteration, step: key.step, name: key.name },
      ref, at: new Date().toISOString(), ...(current && current.ref.sha256 !== ref.sha256 ? { replaced: current.ref.sha256 } : {}),
    });
    return ref;
  }

  /** mkdir one level at a time, refusing any level that resolves outside the root (a symlink out). */
  private async makeDirs(segments: string[], uri: string): Promise<string> {
    let dir = this.root;
    for (const segment of segments) {
      dir = path.join(dir, segment);
      await assertRealpathInside(this.root, dir, uri);
      try {
        await fs.promises.mkdir(dir);
        // A new directory's entry must be durable too, or a power loss could lose the whole subtree.
        await fsyncDir(path.dirname(dir));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (!(await fs.promises.stat(dir)).isDirectory()) throw new PathEscapeError(uri, this.root, `${dir} exists and is not a directory`);
      }
    }
    await assertRealpathInside(this.root, dir, uri);
    return dir;
  }

  // --- reading ---------------------------------------------------------------------------------------------

  /** The campaign's manifest entries, oldest first; read incrementally (store/manifest.ts ManifestReader). */
  private manifest(campaign: string): Promise<ManifestEntry[]> {
    const file = this.manifestPath(campaign);
    let reader = this.manifests.get(file);
    if (!reader) {
      reader = new ManifestReader(file);
      this.manifests.set(file, reader);
    }
    return reader.read();
  }

  private manifestPath(campaign: string): string {
    return path.join(this.root, campaign, 'manifest.jsonl');
  }

  private async latest(key: ArtifactKey): Promise<ManifestEntry | undefined> {
    validateKey(key);
    const entries = await this.manifest(key.campaign);
    for (let i = entries.length - 1; i >= 0; i--) if (sameKey(entries[i].key, key)) return entries[i];
    return undefined;
  }

  /** A missing ref that `prune` removed reads as pruned, with when and why. */
  private async prunedOr(err: unknown, ref: ArtifactRef): Promise<unknown> {
    if (!(err instanceof ArtifactMissingError)) return err;
    const key = uriToKey(ref.uri);
    const entries = await this.manifest(key.campaign);
    const tomb = entries.find((e) => e.pruned !== undefined && e.ref.sha256 === ref.sha256 && sameKey(e.key, key));
    return tomb ? new ArtifactPrunedError(ref.uri, ref.sha256, tomb.at, tomb.pruned!) : err;
  }

  /** The file holding a ref's content: its replaced-version copy if it has one, else the key's path. */
  private async locate(ref: ArtifactRef): Promise<string> {
    const segments = keySegments(uriToKey(ref.uri));
    const file = path.join(this.root, ...segments);
    const version = versionPath(path.dirname(file), segments[segments.length - 1], ref.sha256);
    const chosen = fs.existsSync(version) ? version : file;
    await assertRealpathInside(this.root, chosen, ref.uri);
    return chosen;
  }

  /** Stream-hash a ref's content; throws ArtifactCorruptError / ArtifactMissingError. */
  private async verify(ref: ArtifactRef): Promise<void> {
    const file = await this.locate(ref);
    const hash = createHash('sha256');
    try {
      for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    } catch (e) {
      throw missingOr(e, ref.uri, file);
    }
    const actual = hash.digest('hex');
    if (actual !== ref.sha256) throw new ArtifactCorruptError(ref.uri, ref.sha256, actual);
  }
}

const HOST = os.hostname().replace(/[^A-Za-z0-9-]/g, '_').slice(0, 64) || 'host';
function missingOr(e: unknown, uri: string, file: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' ? new ArtifactMissingError(uri, file) : e;
}

function versionPath(dir: string, base: string, sha256: string): string {
  return path.join(dir, '.versions', `${base}@${sha256}`);
}

async function preserveVersion(dir: string, base: string, sha256: string): Promise<void> {
  const target = versionPath(dir, base, sha256);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  try {
    await fs.promises.link(path.join(dir, base), target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') return;
    // File systems without hard links: a copy is slower but equally durable.
    await fs.promises.copyFile(path.join(dir, base), target);
  }
  await fsyncDir(path.dirname(target));
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Remove temp files of `base` left by processes on this host that no longer exist (killed mid-write). */
async function sweepStaleTemps(dir: string, base: string): Promise<void> {
  const prefix = `.${base}.tmp-${HOST}-`;
  for (const name of await fs.promises.readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await fs.promises.rm(path.join(dir, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
