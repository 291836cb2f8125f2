/**
 * Durability against a real Temporal dev server with the worker in a child process:
 * - SIGKILL during sampling, during training and between steps; each time a new worker takes over, resuming the
 *   killed step from its heartbeat cursor; the final checkpoint equals the uninterrupted (in-process) run's.
 * - The dev server (SQLite file) is stopped and restarted mid-campaign; the campaign completes, same checkpoint.
 */
import { runCampaign } from '../../engine/runner';
import { LocalArtifactStore } from '../../store/local';
import { startCampaign, pauseCampaign, resumeCampaign, auditCampaign } from '../../client';
import { iterationStatusQuery } from '../../workflows/messages';
import { startTemporalHarness, type ChildWorker, type TemporalHarness } from '../support/temporal';
import { isQuiescent, pendingActivities } from '../support/pending';
import { tinySpec } from '../support/specs';
import { waitFor } from '../support/wait';

jest.setTimeout(240_000);

let temporal: TemporalHarness;
let store: LocalArtifactStore;
let worker: ChildWorker;

beforeAll(async () => {
  temporal = await startTemporalHarness();
  store = new LocalArtifactStore(temporal.storeRoot);
});
afterAll(() => temporal?.teardown());

/** Big enough that sampling shards and the update run for a second or more, with many resumable points. */
const crashSpec = tinySpec('crash', 'online-iterative-dpo', {
  task: { name: 'bandit', vocab: 4, promptLength: 2, responseLength: 3, trainPrompts: 1024, evalPrompts: 4, sft: { steps: 10, batchSize: 8 } },
  sampling: { promptsPerIteration: 1024, n: 8, shards: 2 },
  update: { epochs: 4, batchSize: 16, checkpointEvery: 10 },
});

async function killWhen(what: string, workflowId: string, activityType: string, ready: (cursor: any) => boolean): Promise<unknown> {
  const cursor = await waitFor(what, async () => {
    const pending = await pendingActivities(temporal.client, workflowId);
    const hit = pending.find((p) => p.activityType === activityType && p.cursor !== undefined && ready(p.cursor));
    return hit?.cursor;
  }, 120_000, 20);
  await worker.kill('SIGKILL');
  return cursor;
}

test('SIGKILLed workers (sampling, training, between steps) resume and end with the uninterrupted checkpoint', async () => {
  const reference = await runCampaign(crashSpec, { store, campaign: 'crash-reference' });

  worker = await temporal.spawnWorker({ identity: 'w1' });
  const handle = await startCampaign(temporal.client, crashSpec);

  // 1. During sampling: a shard has finished at least one chunk (its cursor is on the server).
  const sampleCursor = await killWhen('a sampling shard with a cursor', 'crash/iter-1', 'sampleShard', (c) => c.step === 'sample');
  worker = await temporal.spawnWorker({ identity: 'w2' });

  // 2. During training: the update has saved an optimizer checkpoint.
  const updateCursor = await killWhen('an update with a saved checkpoint', 'crash/iter-1', 'update', (c) => c.step >= 10) as { step: number };
  worker = await temporal.spawnWorker({ identity: 'w3' });

  // 3. Between steps: hold iteration 2 before its next step, kill the idle worker, let the campaign go on.
  await waitFor('iteration 2 to start', async () => (await temporal.client.workflow.getHandle('crash/iter-2').describe()).status.name === 'RUNNING');
  await pauseCampaign(temporal.client, 'crash');
  const held = await waitFor('iteration 2 to hold between steps', async () => {
    const status = await temporal.client.workflow.getHandle('crash/iter-2').query(iterationStatusQuery);
    return status.paused && (await isQuiescent(temporal.client, 'crash/iter-2')) ? status : undefined;
  });
  await worker.kill('SIGKILL');
  await resumeCampaign(temporal.client, 'crash');
  worker = await temporal.spawnWorker({ identity: 'w4' });

  const summary = await temporal.summary(handle);
  expect(summary.finalCheckpoint.sha256).toEqual(reference.finalCheckpoint.sha256);
  expect(summary.iterations.map((r) => r.eval.J)).toEqual(reference.iterations.map((r) => r.eval.J));
  expect(held.step).not.toEqual('idle');

  // Each killed step was retried from the cursor the dead worker left, not from scratch.
  const audit = await auditCampaign(temporal.client, store, 'crash');
  const steps = audit.iterations[0].steps;
  const resumedShard = steps.find((s) => s.step === 'sample' && s.attempts > 1);
  expect(resumedShard).toBeDefined();
  const shardAttempt = resumedShard!.journal.find((j) => j.attempt === resumedShard!.attempts);
  expect(shardAttempt?.resumeFrom).toMatchObject({ step: 'sample', shard: (sampleCursor as { shard: number }).shard });
  const update = steps.find((s) => s.step === 'update')!;
  expect(update.attempts).toBeGreaterThan(1);
  const updateAttempt = update.journal.find((j) => j.attempt === update.attempts)!;
  expect((updateAttempt.resumeFrom as { step: number }).step).toBeGreaterThanOrEqual(updateCursor.step);
  expect(update.lastFailure).toMatch(/heartbeat/i);
  // The attempts ran on different workers: the killed one and its successor.
  expect(new Set(update.journal.map((j) => j.attempt)).size).toBeGreaterThan(1);
});

test('a dev server restart mid-campaign loses nothing', async () => {
  const spec = { ...crashSpec, name: 'restart' };
  const reference = await runCampaign(spec, { store, campaign: 'restart-reference' });
  // Its own worker, so the test stands alone; the worker keeps running through the restart (it reconnects).
  worker = await temporal.spawnWorker({ identity: 'w5' });
  const handle = await startCampaign(temporal.client, spec);
  await waitFor('iteration 1 to be training', async () =>
    (await pendingActivities(temporal.client, 'restart/iter-1')).some((p) => p.activityType === 'update'), 120_000);
  await temporal.server.restart();
  const summary = await temporal.summary(handle);
  expect(summary.iterations).toHaveLength(2);
  expect(summary.finalCheckpoint.sha256).toEqual(reference.finalCheckpoint.sha256);
});
