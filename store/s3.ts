import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MEDIA_TYPES, type ArtifactKey, type ArtifactRef } from '../schemas/artifacts';
import type { ArtifactStore, PrunedArtifact } from './types';
import { ArtifactCorruptError, ArtifactMissingError, ArtifactPrunedError, StoreConfigError } from './errors';
import { registerInputSource } from './inputs';
import { checkRef, encodeJsonl, parseJsonlStream } from './jsonl';
import { keySegments, keyToUri, sameKey, uriToKey, validateKey } from './keys';
import type { ManifestEntry } from './manifest';
import { describeS3Error, isNotFound, parseS3Location, type S3Location } from './s3-location';

/**
 * The artifact store on an S3-compatible object store (AWS SDK v3), with the local store's contract.
 *
 * Layout under `s3://<bucket>/<prefix>`:
 *   `<campaign>/iter-<t>/<step>/<name>@<sha256>`   content-addressed objects, never overwritten: a re-write of a key
 *                                                  with other content is another object, so an old ref stays readable;
 *   `<campaign>/manifest/<seq>-<rand>.json`        one immutable object per manifest entry, listed in key order, so
 *                                                  concurrent writers (on any machine) never touch each other's entries.
 *   `inputs/...`                                   the user's files, which the engine reads from the local scratch copy.
 * Writes: rows are spooled to a file in the scratch directory while hashed (memory stays bounded and the sha256 is
 *   known before upload), the object is uploaded (multipart above `partSize`, completed only when whole: S3 shows an
 *   object only complete, and an upload whose writer died is never visible), and only then is the manifest entry put.
 * Reads stream the object and verify its sha256 (get, readJsonl, find). Keys are the same plain names as the local
 *   store's (keys.ts), so no key can leave the prefix; the prefix itself may not contain `.` or `..` segments.
 * Entry order: `<seq>` is the writer's clock in ms, but always above the latest entry of the same key, so that the last
 *   write of a key wins even across machines whose clocks differ (one writer per key at a time, as Temporal runs one
 *   attempt of an activity at a time).
 */
export interface S3StoreOptions {
  /** `s3://bucket/prefix`. */
  location: string;
  /** Local directory for spooled uploads and downloaded inputs (default: $PREFLOOP_SCRATCH or <tmp>/prefloop-scratch). */
  scratch?: string;
  /** Client settings; by default the SDK's own (AWS_ENDPOINT_URL, AWS_REGION, the credentials chain). */
  client?: S3Client;
  clientConfig?: S3ClientConfig;
  /** Multipart part size in bytes (default 16 MiB; S3's minimum is 5 MiB). */
  partSize?: number;
}

const MANIFEST = 'manifest';
const SEQ_DIGITS = 15;

interface Entry extends ManifestEntry { seq: number }

export class S3ArtifactStore implements ArtifactStore {
  /** The local scratch directory: user inputs are downloaded under it (`<root>/inputs/...`) for the engine to read. */
  readonly root: string;
  readonly location: S3Location;
  readonly client: S3Client;
  private readonly partSize: number;
  /** Manifest entries are immutable objects: each is fetched once per process. */
  private readonly entries = new Map<string, Entry>();

  constructor(options: S3StoreOptions) {
    this.location = parseS3Location(options.location);
    this.root = path.resolve(options.scratch ?? process.env.PREFLOOP_SCRATCH ?? path.join(os.tmpdir(), 'prefloop-scratch'));
    fs.mkdirSync(path.join(this.root, '.uploads'), { recursive: true });
    this.client = options.client ?? new S3Client({
      // Endpoints that are not AWS (MinIO, SeaweedFS, versitygw, Ceph) serve buckets by path, not by host name.
      forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL || process.env.AWS_ENDPOINT_URL_S3),
      // Standard retries: exponential backoff with jitter on throttling, 5xx and connection errors.
      maxAttempts: 5,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...options.clientConfig,
    });
    this.partSize = Math.max(options.partSize ?? 16 << 20, 5 << 20);
    registerInputSource(fs.realpathSync(this.root), (relative) => this.fetchInput(relative));
  }

  /**
   * Upload a user file (reward model, tokenizer, prompts) to `<prefix>/<relative>`, with its sha256 in the object's
   * metadata so that every download is verified. `aws s3 cp` works too (then only the length is checked).
   */
  async putInput(relative: string, data: Uint8Array): Promise<string> {
    const objectKey = this.inputKey(relative);
    const sha256 = createHash('sha256').update(data).digest('hex');
    await this.call(objectKey, () => this.client.send(new PutObjectCommand({
      Bucket: this.location.bucket, Key: objectKey, Body: Buffer.from(data.buffer, data.byteOffset, data.byteLength), Metadata: { sha256 },
    })));
    return sha256;
  }

  /**
   * Bring `<prefix>/<relative>` (one object, or every object under it as a directory) to `<root>/<relative>`, so the
   * engine reads user inputs from local files as it does with a local store. Each file lands whole (temp + rename),
   * its length checked against the object's and its sha256 against the object's `sha256` metadata when it has one;
   * a file already downloaded is kept while the object's ETag is unchanged.
   */
  async fetchInput(relative: string): Promise<void> {
    const objectKey = this.inputKey(relative);
    const head = await this.headOrUndefined(objectKey);
    if (head) {
      await this.download(objectKey, relative, head);
      return;
    }
    let token: string | undefined;
    do {
      const page = await this.call(objectKey, () => this.client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: `${objectKey}/`, ContinuationToken: token })));
      for (const o of page.Contents ?? []) {
        const below = o.Key!.slice(objectKey.length + 1);
        if (!below || below.endsWith('/')) continue;
        const h = await this.headOrUndefined(o.Key!);
        if (h) await this.download(o.Key!, `${relative.split(path.sep).join('/')}/${below}`, h);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** `s3://bucket/prefix` followed by the object key, for messages. */
  describe(objectKey: string): string {
    return `s3://${this.location.bucket}/${objectKey}`;
  }

  async put(key: ArtifactKey, data: Uint8Array, mediaType: string): Promise<ArtifactRef> {
    const ref: ArtifactRef = { uri: keyToUri(key), sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length, mediaType };
    return this.publish(key, ref, () => Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  async putChunks(key: ArtifactKey, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, mediaType: string): Promise<ArtifactRef> {
    return this.spoolAndPublish(key, chunks, mediaType);
  }

  async putJsonl(key: ArtifactKey, rows: Iterable<unknown> | AsyncIterable<unknown>): Promise<ArtifactRef> {
    const counter = { rows: 0 };
    return this.spoolAndPublish(key, encodeJsonl(rows, counter, keyToUri(key)), MEDIA_TYPES.jsonl, counter);
  }

  /** Spool first: the object's name holds its sha256, known only once every byte is written. */
  private async spoolAndPublish(key: ArtifactKey, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, mediaType: string, counter?: { rows: number }): Promise<ArtifactRef> {
    const uri = keyToUri(key);
    const spool = path.join(this.root, '.uploads', `${process.pid}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const fh = await fs.promises.open(spool, 'wx', 0o600);
    try {
      try {
        for await (const chunk of chunks) {
          hash.update(chunk);
          for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
          bytes += chunk.length;
        }
      } finally {
        await fh.close();
      }
      const ref: ArtifactRef = { uri, sha256: hash.digest('hex'), bytes, mediaType, ...(counter ? { rows: counter.rows } : {}) };
      return await this.publish(key, ref, () => fs.createReadStream(spool, { highWaterMark: 1 << 20 }));
    } finally {
      await fs.promises.rm(spool, { force: true });
    }
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
    const objectKey = this.contentKey(checkRef(ref));
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of await this.body(ref, objectKey)) {
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
    const actual = hash.digest('hex');
    if (actual !== ref.sha256) throw new ArtifactCorruptError(ref.uri, ref.sha256, actual, `${this.describe(objectKey)}: ${bytes} bytes, expected ${ref.bytes}`);
  }

  async *readJsonl<T = unknown>(ref: ArtifactRef): AsyncIterable<T> {
    const objectKey = this.contentKey(checkRef(ref));
    yield* parseJsonlStream<T>(await this.body(ref, objectKey), ref, this.describe(objectKey));
  }

  async list(campaign: string): Promise<Array<{ key: ArtifactKey; ref: ArtifactRef }>> {
    validateKey({ campaign, iteration: 0, step: 'list', name: 'list' });
    const latest = new Map<string, Entry>();
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
    return (await this.manifest(campaign)).filter((e) => e.pruned !== undefined).map(({ key, ref, at, pruned }) => ({ key, ref, at, reason: pruned! }));
  }

  /**
   * Delete every version of a finished key, each tombstone entry put before its object is deleted (as the local store
   * does): a crash in between leaves an object the manifest calls pruned, never the reverse.
   */
  async prune(key: ArtifactKey, reason: string): Promise<ArtifactRef[]> {
    validateKey(key);
    const entries = (await this.manifest(key.campaign)).filter((e) => sameKey(e.key, key));
    const gone = new Set(entries.filter((e) => e.pruned !== undefined).map((e) => e.ref.sha256));
    const refs = [...new Map(entries.filter((e) => e.pruned === undefined && !gone.has(e.ref.sha256)).map((e) => [e.ref.sha256, e.ref])).values()];
    let seq = entries.reduce((m, e) => Math.max(m, e.seq), 0);
    for (const ref of refs) {
      seq = Math.max(Date.now(), seq + 1);
      await this.putEntry({ key: { ...key }, ref, at: new Date().toISOString(), pruned: reason, seq });
    }
    for (const ref of refs) {
      const objectKey = this.contentKey(ref);
      await this.call(objectKey, () => this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: objectKey })));
    }
    return refs;
  }

  // --- writing ---------------------------------------------------------------------------------------------

  private async publish(key: ArtifactKey, ref: ArtifactRef, body: () => Buffer | Readable): Promise<ArtifactRef> {
    const latest = await this.latest(key);
    const current = latest?.pruned === undefined ? latest : undefined;
    if (current && current.ref.sha256 === ref.sha256 && await this.verify(current.ref).then(() => true, () => false)) return current.ref;
    const objectKey = this.contentKey(ref);
    // The same content may already be there, complete (a writer that died between upload and manifest entry); it is
    // trusted only after its bytes are hashed, so a corrupt copy is replaced.
    const intact = await this.hasComplete(objectKey, ref.bytes) && await this.verify(ref).then(() => true, () => false);
    if (!intact) await this.upload(objectKey, ref, body());
    await this.putEntry({
      key: { campaign: key.campaign, iteration: key.iteration, step: key.step, name: key.name }, ref, at: new Date().toISOString(),
      seq: Math.max(Date.now(), (latest?.seq ?? 0) + 1),
      ...(current && current.ref.sha256 !== ref.sha256 ? { replaced: current.ref.sha256 } : {}),
    });
    return ref;
  }

  private async putEntry(entry: Entry): Promise<void> {
    const entryKey = `${this.campaignPrefix(entry.key.campaign)}${MANIFEST}/${String(entry.seq).padStart(SEQ_DIGITS, '0')}-${randomBytes(4).toString('hex')}.json`;
    await this.call(entryKey, () => this.client.send(new PutObjectCommand({
      Bucket: this.location.bucket, Key: entryKey, Body: JSON.stringify(entry), ContentType: 'application/json',
    })));
    this.entries.set(entryKey, entry);
  }

  private async upload(objectKey: string, ref: ArtifactRef, body: Buffer | Readable): Promise<void> {
    const params = { Bucket: this.location.bucket, Key: objectKey, Body: body, ContentType: ref.mediaType, Metadata: { sha256: ref.sha256 } };
    if (ref.bytes < this.partSize) {
      await this.call(objectKey, () => this.client.send(new PutObjectCommand({ ...params, ContentLength: ref.bytes })));
      return;
    }
    // Multipart: the object appears only at CompleteMultipartUpload. On failure the upload is aborted; a process
    // killed mid-upload leaves parts that no reader sees (a bucket lifecycle rule for incomplete uploads reclaims them).
    const upload = new Upload({ client: this.client, params, partSize: this.partSize, queueSize: 2, leavePartsOnError: false });
    await this.call(objectKey, () => upload.done());
  }

  // --- user inputs -----------------------------------------------------------------------------------------

  private inputKey(relative: string): string {
    const segments = relative.split(/[\\/]/).filter((x) => x !== '' && x !== '.');
    if (!segments.length || segments.some((x) => x === '..')) throw new StoreConfigError(`input path "${relative}" must name a file under ${this.describe(this.location.prefix)}`);
    return `${this.location.prefix}${segments.join('/')}`;
  }

  private async headOrUndefined(objectKey: string): Promise<{ bytes: number; etag: string; sha256?: string } | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: objectKey }));
      return { bytes: head.ContentLength ?? -1, etag: head.ETag ?? '', sha256: head.Metadata?.sha256 };
    } catch (e) {
      if (isNotFound(e) && (e as { name?: string }).name !== 'NoSuchBucket') return undefined;
      throw describeS3Error(e, this, objectKey);
    }
  }

  private async download(objectKey: string, relative: string, head: { bytes: number; etag: string; sha256?: string }): Promise<void> {
    const file = path.join(this.root, ...relative.split('/'));
    const stamp = path.join(this.root, '.inputs', `${relative.split('/').join('__')}.etag`);
    if (fs.existsSync(file) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === head.etag) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.mkdirSync(path.dirname(stamp), { recursive: true });
    const tmp = `${file}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const out = await this.call(objectKey, () => this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: objectKey })));
      const fh = await fs.promises.open(tmp, 'wx', 0o644);
      try {
        for await (const chunk of out.Body as Readable) {
          hash.update(chunk as Buffer);
          bytes += (chunk as Buffer).length;
          await fh.write(chunk as Buffer);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const actual = hash.digest('hex');
      const where = this.describe(objectKey);
      if (bytes !== head.bytes) throw new ArtifactCorruptError(where, head.sha256 ?? `${head.bytes} bytes`, actual, `${bytes} bytes downloaded, the object has ${head.bytes}`);
      if (head.sha256 && head.sha256 !== actual) throw new ArtifactCorruptError(where, head.sha256, actual, 'the sha256 in the object\'s metadata');
      await fs.promises.rename(tmp, file);
      await fs.promises.writeFile(stamp, head.etag);
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
  }

  // --- reading ---------------------------------------------------------------------------------------------

  private campaignPrefix(campaign: string): string {
    return `${this.location.prefix}${campaign}/`;
  }

  private contentKey(ref: ArtifactRef): string {
    return `${this.location.prefix}${keySegments(uriToKey(ref.uri)).join('/')}@${ref.sha256}`;
  }

  private async hasComplete(objectKey: string, bytes: number): Promise<boolean> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: objectKey }));
      return head.ContentLength === bytes;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw describeS3Error(e, this, objectKey);
    }
  }

  private async body(ref: ArtifactRef, objectKey: string): Promise<AsyncIterable<Buffer>> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: objectKey }));
      return out.Body as Readable;
    } catch (e) {
      if (isNotFound(e) && (e as { name?: string }).name !== 'NoSuchBucket') {
        // A missing ref that prune removed reads as pruned, with when and why.
        const key = uriToKey(ref.uri);
        const tomb = (await this.manifest(key.campaign)).find((t) => t.pruned !== undefined && t.ref.sha256 === ref.sha256 && sameKey(t.key, key));
        throw tomb ? new ArtifactPrunedError(ref.uri, ref.sha256, tomb.at, tomb.pruned!) : new ArtifactMissingError(ref.uri, this.describe(objectKey));
      }
      throw describeS3Error(e, this, objectKey);
    }
  }

  /** Stream-hash a ref's object; throws ArtifactCorruptError / ArtifactMissingError. */
  private async verify(ref: ArtifactRef): Promise<void> {
    const objectKey = this.contentKey(ref);
    const hash = createHash('sha256');
    for await (const chunk of await this.body(ref, objectKey)) hash.update(chunk);
    const actual = hash.digest('hex');
    if (actual !== ref.sha256) throw new ArtifactCorruptError(ref.uri, ref.sha256, actual, this.describe(objectKey));
  }

  private async latest(key: ArtifactKey): Promise<Entry | undefined> {
    validateKey(key);
    const entries = await this.manifest(key.campaign);
    for (let i = entries.length - 1; i >= 0; i--) if (sameKey(entries[i].key, key)) return entries[i];
    return undefined;
  }

  /** Every manifest entry of a campaign, in entry-key order; entries already read are not fetched again. */
  private async manifest(campaign: string): Promise<Entry[]> {
    const prefix = `${this.campaignPrefix(campaign)}${MANIFEST}/`;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(prefix, () => this.client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, ContinuationToken: token })));
      for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    keys.sort();
    const unseen = keys.filter((k) => !this.entries.has(k));
    for (let i = 0; i < unseen.length; i += 16) {
      await Promise.all(unseen.slice(i, i + 16).map(async (k) => {
        const out = await this.call(k, () => this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: k })));
        const text = await out.Body!.transformToString('utf8');
        try {
          const entry = JSON.parse(text) as Entry;
          if (entry && entry.key && entry.ref && Number.isSafeInteger(entry.seq)) this.entries.set(k, entry);
        } catch {
          // Not an entry this store wrote; ignored, as the local store ignores a torn manifest line.
        }
      }));
    }
    return keys.map((k) => this.entries.get(k)).filter((e): e is Entry => e !== undefined);
  }

  /** An S3 call whose failures become errors naming the bucket and key (and what to fix). */
  private async call<T>(objectKey: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw describeS3Error(e, this, objectKey);
    }
  }
}

