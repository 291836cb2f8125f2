/**
 * What only the S3 backend has: PREFLOOP_STORE=s3://bucket/prefix parsing, errors that name the bucket, key or
 * variable (non-retryable where no retry helps, retryable where the endpoint is only unavailable), user inputs
 * downloaded from the bucket with verification, and its object layout. Against a real server (versitygw).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { NON_RETRYABLE_ERRORS } from '../../schemas/failures';
import { resolveUserPath } from '../../store/confine';
import { ArtifactCorruptError, PathEscapeError, StoreConfigError, StoreUnavailableError } from '../../store/errors';
import { openStore } from '../../store/open';
import { S3ArtifactStore } from '../../store/s3';
import { parseS3Location } from '../../store/s3-location';
import { freePort } from '../../workers/dev-server';
import { startS3Server, type S3TestServer } from '../support/s3-server';
import { tempDir } from './helpers';

let server: S3TestServer;
let scratch: string;
const saved = { ...process.env };
beforeAll(async () => {
  server = await startS3Server();
  Object.assign(process.env, server.env);
  // The credentials chain must never ask a cloud metadata endpoint from a test machine.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}, 60_000);
afterAll(async () => {
  process.env = saved;
  await server?.stop();
});
beforeEach(() => { scratch = tempDir('s3-scratch'); });
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

const key = { campaign: 'c', iteration: 1, step: 'update', name: 'policy.safetensors' };
const data = new Uint8Array([1, 2, 3, 4]);

test('PREFLOOP_STORE=s3://bucket/prefix parses; a prefix with .. or a bad bucket is refused naming the variable', () => {
  expect(parseS3Location('s3://my-bucket/team/runs/')).toEqual({ bucket: 'my-bucket', prefix: 'team/runs/' });
  expect(parseS3Location('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
  for (const bad of ['s3://my-bucket/runs/../other', 's3://my-bucket/./x', 's3://My_Bucket/x', 's3://b/x y']) {
    const err = (() => { try { parseS3Location(bad); } catch (e) { return e as Error; } return undefined; })();
    expect(err).toBeInstanceOf(StoreConfigError);
    expect(err!.message).toContain(`PREFLOOP_STORE=${bad}`);
  }
  expect(() => openStore('s3://my-bucket/runs/../../etc')).toThrow(/prefix may not contain "\.\."/);
  // A store configuration error is a non-retryable failure of the step.
  expect(NON_RETRYABLE_ERRORS).toHaveProperty('StoreConfigError');
  expect(NON_RETRYABLE_ERRORS).not.toHaveProperty('StoreUnavailableError');
});

test('objects are content-addressed under the prefix, and the manifest is one object per entry', async () => {
  const store = new S3ArtifactStore({ location: `s3://${server.bucket}/layout`, scratch });
  const ref = await store.put(key, data, 'application/vnd.safetensors');
  const ref2 = await store.put(key, new Uint8Array([9]), 'application/vnd.safetensors');
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const keys = ((await server.client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: 'layout/' }))).Contents ?? []).map((o) => o.Key!).sort();
  expect(keys.filter((k) => !k.includes('/manifest/'))).toEqual([
    `layout/c/iter-1/update/policy.safetensors@${ref2.sha256}`, `layout/c/iter-1/update/policy.safetensors@${ref.sha256}`,
  ].sort());
  expect(keys.filter((k) => k.startsWith('layout/c/manifest/'))).toHaveLength(2);
  // A second process (a fresh store) sees the same latest ref.
  expect(await new S3ArtifactStore({ location: `s3://${server.bucket}/layout`, scratch }).find(key)).toEqual(ref2);
});

test('a corrupt object names its bucket and key', async () => {
  const store = new S3ArtifactStore({ location: `s3://${server.bucket}/corrupt`, scratch });
  const ref = await store.put(key, data, 'application/octet-stream');
  const objectKey = `corrupt/c/iter-1/update/policy.safetensors@${ref.sha256}`;
  await server.client.send(new PutObjectCommand({ Bucket: server.bucket, Key: objectKey, Body: Buffer.from([1, 2, 3, 5]) }));
  const err = await store.get(ref).catch((e) => e);
  expect(err).toBeInstanceOf(ArtifactCorruptError);
  expect(err.message).toContain(`s3://${server.bucket}/${objectKey}`);
  expect(await store.find(key)).toBeUndefined();
});

test('a bucket that does not exist is a configuration error naming it', async () => {
  const store = new S3ArtifactStore({ location: 's3://no-such-bucket/p', scratch });
  const err = await store.put(key, data, 'application/octet-stream').catch((e) => e);
  expect(err).toBeInstanceOf(StoreConfigError);
  expect(err.message).toMatch(/S3 bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+ .*fix the bucket in PREFLOOP_STORE/);
});

test('missing or wrong credentials are configuration errors naming the variables', async () => {
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
  process.env.AWS_PROFILE = 'prefloop-test-no-such-profile';
  process.env.AWS_CONFIG_FILE = path.join(scratch, 'none');
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(scratch, 'none');
  try {
    const err = await new S3ArtifactStore({ location: `s3://${server.bucket}/creds`, scratch }).put(key, data, 'x').catch((e) => e);
    expect(err).toBeInstanceOf(StoreConfigError);
    expect(err.message).toContain(`no AWS credentials to reach s3://${server.bucket}/creds/`);
    expect(err.message).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  } finally {
    Object.assign(process.env, server.env);
    delete process.env.AWS_PROFILE;
  }
  process.env.AWS_SECRET_ACCESS_KEY = 'wrong-secret';
  try {
    const err = await new S3ArtifactStore({ location: `s3://${server.bucket}/creds`, scratch }).put(key, data, 'x').catch((e) => e);
    expect(err).toBeInstanceOf(StoreConfigError);
    expect(err.message).toMatch(/S3 refused s3:\/\/prefloop-test\/creds\/.* check AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY/);
  } finally {
    Object.assign(process.env, server.env);
  }
});

test('an endpoint that does not answer is retried with backoff, then a retryable error naming AWS_ENDPOINT_URL', async () => {
  const port = await freePort();
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
  try {
    const store = new S3ArtifactStore({ location: `s3://${server.bucket}/down`, scratch });
    const t0 = Date.now();
    const err = await store.put(key, data, 'x').catch((e) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain(`S3 endpoint http://127.0.0.1:${port} is unavailable`);
    expect(err.message).toContain('after 5 attempts');
    expect(err.message).toContain('check AWS_ENDPOINT_URL');
    // Four waits between five attempts: exponential backoff with jitter, not an immediate give-up.
    expect(elapsed).toBeGreaterThan(100);
  } finally {
    Object.assign(process.env, server.env);
  }
});

test('user inputs resolve under the same store: downloaded to the scratch root, verified, confined', async () => {
  const store = new S3ArtifactStore({ location: `s3://${server.bucket}/inputs-test`, scratch });
  await store.putInput('inputs/rm.onnx', Buffer.from('model bytes'));
  await store.putInput('inputs/tok/tokenizer.json', Buffer.from('{"t":1}'));
  await store.putInput('inputs/tok/config.json', Buffer.from('{}'));
  const file = await resolveUserPath(store.root, 'inputs/rm.onnx');
  expect(file).toBe(path.join(fs.realpathSync(scratch), 'inputs', 'rm.onnx'));
  expect(fs.readFileSync(file, 'utf8')).toBe('model bytes');
  // A directory (a model directory) comes down whole.
  const dir = await resolveUserPath(store.root, 'inputs/tok');
  expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'tokenizer.json']);
  // An object whose bytes no longer match the sha256 it was uploaded with is refused, and the old copy is kept.
  await server.client.send(new PutObjectCommand({
    Bucket: server.bucket, Key: 'inputs-test/inputs/rm.onnx', Body: Buffer.from('other bytes'), Metadata: { sha256: '0'.repeat(64) },
  }));
  const err = await resolveUserPath(store.root, 'inputs/rm.onnx').catch((e) => e);
  expect(err).toBeInstanceOf(ArtifactCorruptError);
  expect(err.message).toContain(`s3://${server.bucket}/inputs-test/inputs/rm.onnx`);
  expect(fs.readFileSync(file, 'utf8')).toBe('model bytes');
  // Paths leaving the root are refused before anything is fetched.
  await expect(resolveUserPath(store.root, '../outside/rm.onnx')).rejects.toThrow(PathEscapeError);
});
