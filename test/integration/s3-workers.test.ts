/**
 * Many machines, shown on one: worker processes with separate scratch directories and nothing in common but an S3
 * bucket (a real versitygw server) and the Temporal server. The cpu+inference worker and the training worker hand
 * every artifact to each other through S3 only; the training worker is SIGKILLed mid-update and a new one (fresh
 * scratch) finishes the step. The final checkpoint equals the local-store in-process run's, every object visible in
 * the bucket is complete (its bytes hash to the sha256 in its name), and payloads through Temporal stay small refs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startCampaign } from '../../client';
import { payloadSizes } from '../../client/history';
import { runCampaign } from '../../engine/runner';
import { LocalArtifactStore } from '../../store/local';
import { S3ArtifactStore } from '../../store/s3';
import { startS3Server, type S3TestServer } from '../support/s3-server';
import { startTemporalHarness, type ChildWorker, type TemporalHarness } from '../support/temporal';
import { pendingActivities } from '../support/pending';
import { tinySpec } from '../support/specs';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

let temporal: TemporalHarness;
let s3: S3TestServer;
const workers: ChildWorker[] = [];

beforeAll(async () => {
  [temporal, s3] = await Promise.all([startTemporalHarness(), startS3Server()]);
});
afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL').catch(() => undefined);
  await temporal?.teardown();
  await s3?.stop();
});

const spec = tinySpec('s3-many', 'online-iterative-dpo', {
  sampling: { promptsPerIteration: 128, n: 4, shards: 2 },
  update: { epochs: 2, batchSize: 4, checkpointEvery: 2 },
});

/** A worker "on another machine": its own scratch directory, the bucket as its only store. */
function machine(name: string, serve: string): Promise<ChildWorker> {
  const scratch = path.join(temporal.dir, `scratch-${name}`);
  fs.mkdirSync(scratch, { recursive: true });
  return temporal.spawnWorker({
    serve, identity: name, storeRoot: `s3://${s3.bucket}/many`,
    env: { ...s3.env, PREFLOOP_SCRATCH: scratch },
  }).then((w) => { workers.push(w); return w; });
}

test('two workers sharing only S3 finish a campaign, one of them killed mid-update, with the local run\'s checkpoint', async () => {
  const reference = await runCampaign(spec, { store: new LocalArtifactStore(path.join(temporal.dir, 'local')), campaign: 's3-many-reference' });

  await machine('a-cpu-inference', 'cpu,inference');
  const trainer = await machine('b-training', 'training');
  const handle = await startCampaign(temporal.client, spec);

  // Kill the training machine once the iteration-1 update has saved a checkpoint to the bucket.
  await waitFor('an update with a saved checkpoint', async () => {
    const pending = await pendingActivities(temporal.client, 's3-many/iter-1');
    return pending.find((p) => p.activityType === 'update' && (p.cursor as { step?: number } | undefined)?.step !== undefined && (p.cursor as { step: number }).step >= 2);
  }, 180_000, 20);
  await trainer.kill('SIGKILL');
  await machine('c-training', 'training');

  const summary = await temporal.summary(handle, new S3ArtifactStore({ location: `s3://${s3.bucket}/many`, client: s3.client, scratch: path.join(temporal.dir, 'scratch-reader') }));
  expect(summary.finalCheckpoint.sha256).toBe(reference.finalCheckpoint.sha256);
  expect(summary.iterations.map((i) => i.eval.J)).toEqual(reference.iterations.map((i) => i.eval.J));

  // Every artifact object in the bucket is whole: its bytes hash to the sha256 its name carries.
  const objects: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'many/s3-many/', ContinuationToken: token }));
    objects.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const artifacts = objects.filter((k) => !k.includes('/manifest/'));
  expect(artifacts.length).toBeGreaterThan(10);
  for (const k of artifacts) {
    const body = await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: k }))).Body!.transformToByteArray();
    expect(`${k.slice(0, k.lastIndexOf('@'))}@${createHash('sha256').update(body).digest('hex')}`).toBe(k);
  }
  expect(artifacts.some((k) => k.endsWith(`@${summary.finalCheckpoint.sha256}`))).toBe(true);

  // Only small refs crossed Temporal.
  const sizes = (await temporal.histories()).flatMap(({ history }) => payloadSizes(history));
  expect(sizes.length).toBeGreaterThan(20);
  expect(sizes.filter((p) => p.bytes > 64 * 1024)).toEqual([]);
});
