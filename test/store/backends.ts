/**
 * The store suite runs against every backend: a local directory and an S3 bucket on a real S3-compatible server
 * (test/support/s3-server.ts). A Backend opens fresh stores and reaches behind a store's back the way a crash, a
 * disk error or an operator would (flip a stored byte, delete an object, tear a manifest entry), so that the same
 * assertions hold for both.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ArtifactKey, ArtifactRef } from '../../schemas/artifacts';
import { keySegments, uriToKey } from '../../store/keys';
import { LocalArtifactStore } from '../../store/local';
import { readManifest, type ManifestEntry } from '../../store/manifest';
import { S3ArtifactStore } from '../../store/s3';
import type { ArtifactStore } from '../../store/types';
import { startS3Server, type S3TestServer } from '../support/s3-server';
import { tempDir } from './helpers';

export interface Backend {
  readonly name: 'local' | 's3';
  /** A location that openStore (and a fixture process) opens: a directory or s3://bucket/prefix. */
  readonly location: string;
  /** Environment a process needs to open `location` (the AWS variables for S3). */
  readonly env: Record<string, string>;
  open(): ArtifactStore & Required<Pick<ArtifactStore, 'pruned'>> & { prune(key: ArtifactKey, reason: string): Promise<ArtifactRef[]> };
  /** The manifest's entries in order, as the backend holds them. */
  manifest(campaign: string): Promise<ManifestEntry[]>;
  /** Add a manifest entry that a crash cut short. */
  tearManifest(campaign: string): Promise<void>;
  /** The stored bytes of a ref (not verified). */
  raw(ref: ArtifactRef): Promise<Buffer>;
  /** Flip one stored byte of a ref. */
  corrupt(ref: ArtifactRef, at: number): Promise<void>;
  /** Delete a ref's stored bytes. */
  remove(ref: ArtifactRef): Promise<void>;
  /** Artifact names stored under (campaign, iteration, step), versions included, temp files included. */
  stored(campaign: string, iteration: number, step: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

export function localBackend(): Backend {
  const root = tempDir('store');
  const file = (ref: ArtifactRef) => path.join(root, ...keySegments(uriToKey(ref.uri)));
  return {
    name: 'local', location: root, env: {},
    open: () => new LocalArtifactStore(root),
    manifest: (campaign) => readManifest(path.join(root, campaign, 'manifest.jsonl')),
    tearManifest: async (campaign) => fs.appendFileSync(path.join(root, campaign, 'manifest.jsonl'), `{"key":{"campaign":"${campaign}","iter`),
    raw: async (ref) => fs.readFileSync(file(ref)),
    corrupt: async (ref, at) => {
      const data = fs.readFileSync(file(ref));
      data[at] ^= 0x01;
      fs.writeFileSync(file(ref), data);
    },
    remove: async (ref) => fs.rmSync(file(ref)),
    stored: async (campaign, iteration, step) => {
      // As `<name>@<sha256>`, like S3's objects: the current file by its content, replaced ones by their version name.
      const dir = path.join(root, campaign, `iter-${iteration}`, step);
      const versions = path.join(dir, '.versions');
      const current = fs.readdirSync(dir).filter((f) => f !== '.versions')
        .map((f) => (f.startsWith('.') ? f : `${f}@${createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')}`));
      return [...current, ...(fs.existsSync(versions) ? fs.readdirSync(versions) : [])].sort();
    },
    cleanup: async () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

let prefixes = 0;

/** A backend on a fresh prefix of the server's bucket (each test gets its own, as each local test gets a directory). */
export function s3Backend(server: S3TestServer): Backend {
  const prefix = `t${process.pid}-${++prefixes}`;
  const location = `s3://${server.bucket}/${prefix}`;
  const scratch = tempDir('scratch');
  const Bucket = server.bucket;
  const objectKey = (ref: ArtifactRef) => `${prefix}/${keySegments(uriToKey(ref.uri)).join('/')}@${ref.sha256}`;
  const listKeys = async (p: string) => {
    const out = await server.client.send(new ListObjectsV2Command({ Bucket, Prefix: p }));
    return (out.Contents ?? []).map((o) => o.Key!).sort();
  };
  const get = async (Key: string) => Buffer.from(await (await server.client.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToByteArray());
  return {
    name: 's3', location, env: server.env,
    open: () => new S3ArtifactStore({ location, scratch, partSize: 5 << 20 }),
    manifest: async (campaign) => {
      const entries: ManifestEntry[] = [];
      for (const k of await listKeys(`${prefix}/${campaign}/manifest/`)) {
        try {
          entries.push(JSON.parse((await get(k)).toString('utf8')));
        } catch {
          // a torn entry, as the store ignores it
        }
      }
      return entries;
    },
    tearManifest: async (campaign) => {
      await server.client.send(new PutObjectCommand({ Bucket, Key: `${prefix}/${campaign}/manifest/999999999999999-torn.json`, Body: `{"key":{"campaign":"${campaign}","iter` }));
    },
    raw: (ref) => get(objectKey(ref)),
    corrupt: async (ref, at) => {
      const data = await get(objectKey(ref));
      data[at] ^= 0x01;
      await server.client.send(new PutObjectCommand({ Bucket, Key: objectKey(ref), Body: data }));
    },
    remove: async (ref) => { await server.client.send(new DeleteObjectCommand({ Bucket, Key: objectKey(ref) })); },
    stored: async (campaign, iteration, step) => {
      const p = `${prefix}/${campaign}/iter-${iteration}/${step}/`;
      return (await listKeys(p)).map((k) => k.slice(p.length));
    },
    cleanup: async () => fs.rmSync(scratch, { recursive: true, force: true }),
  };
}

/** The stored name of an artifact, as `stored` lists it. */
export function storedName(ref: ArtifactRef): string {
  return `${uriToKey(ref.uri).name}@${ref.sha256}`;
}

/**
 * Run a describe block once per backend. The S3 server starts once per test file; each test gets a fresh store.
 *   describeBackends('LocalArtifactStore', (b) => { test(..., async () => { const store = b().open(); ... }) })
 */
export function describeBackends(title: string, body: (backend: () => Backend) => void): void {
  describe.each(['local', 's3'] as const)(`${title} (%s)`, (kind) => {
    let server: S3TestServer | undefined;
    let current: Backend | undefined;
    if (kind === 's3') {
      // The SDK reads AWS_* (endpoint, region, credentials) when a request is made: set them for this block's tests.
      const saved: Record<string, string | undefined> = {};
      beforeAll(async () => {
        server = await startS3Server();
        for (const [k, v] of Object.entries(server.env)) { saved[k] = process.env[k]; process.env[k] = v; }
      }, 60_000);
      afterAll(async () => {
        for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
        await server?.stop();
      });
    }
    beforeEach(() => { current = kind === 'local' ? localBackend() : s3Backend(server!); });
    afterEach(async () => { await current?.cleanup(); });
    body(() => current!);
  });
}
