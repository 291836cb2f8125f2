/**
 * Campaigns on your own data under a real Temporal dev server, with the workers in child processes: online iterative
 * DPO for 2 iterations on the tiny llama fixture and the prompt files, once ranked by the ONNX reward model directory
 * (with workers SIGKILLed mid-sampling and mid-training: the same final checkpoint as the uninterrupted in-process
 * run, exported with the input model's tensor names, shapes and dtypes) and once by the example reward worker in
 * another process (the `activity` source), which also measures every evaluation.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCampaign } from '../../engine/runner';
import { disposeRuntimes } from '../../engine/steps';
import { loadTask } from '../../engine/tasks';
import type { ScoredSample } from '../../engine/preference/types';
import { lengthPenalized } from '../../engine/preference/length-penalty';
import { LocalArtifactStore } from '../../store/local';
import { startCampaign } from '../../client';
import { exportIteration } from '../../client/export-model';
import { CampaignSpecSchema } from '../../schemas/campaign';
import { score } from '../../examples/reward-worker/worker';
import { startTemporalHarness, type ChildWorker, type TemporalHarness } from '../support/temporal';
import { pendingActivities } from '../support/pending';
import { waitFor } from '../support/wait';
import { ownDataSpec, placeOwnData } from '../support/own-data';

jest.setTimeout(240_000);

let temporal: TemporalHarness;
let store: LocalArtifactStore;
let worker: ChildWorker;
const REPO = path.resolve(__dirname, '..', '..');
let judge: ChildProcess | undefined;

beforeAll(async () => {
  temporal = await startTemporalHarness();
  store = new LocalArtifactStore(temporal.storeRoot);
  placeOwnData(temporal.storeRoot);
});
afterAll(async () => {
  if (judge && judge.exitCode === null) judge.kill('SIGKILL');
  await disposeRuntimes();
  await temporal?.teardown();
});

function safetensorsHeader(file: string): Record<string, [string, string]> {
  const bytes = fs.readFileSync(file);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString()) as Record<string, { dtype: string; shape: number[] }>;
  delete header.__metadata__;
  return Object.fromEntries(Object.entries(header).map(([k, v]) => [k, [v.dtype, v.shape.join('x')]]));
}

async function killWhen(what: string, workflowId: string, activityType: string, ready: (cursor: any) => boolean): Promise<void> {
  await waitFor(what, async () => {
    const pending = await pendingActivities(temporal.client, workflowId);
    return pending.some((p) => p.activityType === activityType && p.cursor !== undefined && ready(p.cursor)) || undefined;
  }, 120_000, 10);
  await worker.kill('SIGKILL');
}

test('an ONNX reward model, workers SIGKILLed mid-sampling and mid-training: the uninterrupted run\'s checkpoint, exported as the input model', async () => {
  // Big enough that a sampling shard and the update each pass a resumable point before they end.
  const spec = ownDataSpec('own-onnx', { sampling: { promptsPerIteration: 16, n: 8, shards: 2, maxNewTokens: 12 }, update: { lr: 1e-3, epochs: 3, batchSize: 2, checkpointEvery: 2 } });
  const reference = await runCampaign(spec, { store, campaign: 'own-onnx-reference' });

  worker = await temporal.spawnWorker({ identity: 'w1' });
  const handle = await startCampaign(temporal.client, spec);
  await killWhen('a sampling shard with a cursor', 'own-onnx/iter-1', 'sampleShard', (c) => c.step === 'sample');
  worker = await temporal.spawnWorker({ identity: 'w2' });
  await killWhen('an update with a saved checkpoint', 'own-onnx/iter-1', 'update', (c) => c.step >= 2);
  worker = await temporal.spawnWorker({ identity: 'w3' });
  const summary = await handle.result();
  await worker.kill('SIGTERM');

  expect(summary.finalCheckpoint.sha256).toBe(reference.finalCheckpoint.sha256);
  expect(summary.iterations.map((r) => r.eval.reward)).toEqual(reference.iterations.map((r) => r.eval.reward));
  expect(summary.iterations[1].eval.rewardStderr).toBeGreaterThan(0);

  const out = path.join(temporal.dir, 'exported');
  await exportIteration(store, 'own-onnx', 2, out);
  const input = safetensorsHeader(path.join(temporal.storeRoot, 'models', 'llama', 'model.safetensors'));
  expect(safetensorsHeader(path.join(out, 'model.safetensors'))).toEqual(input);
  expect(Object.keys(input).length).toBeGreaterThan(5);
});

test('a reward worker in another process (activity) ranks and evaluates a files campaign', async () => {
  judge = spawn(process.execPath, ['-r', '@swc-node/register', 'examples/reward-worker/worker.ts', '--queue', 'own-judge', '--address', temporal.server.address, '--namespace', temporal.server.namespace], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => { log += d; if (log.includes("task queue 'own-judge'")) resolve(); };
    judge!.stdout!.on('data', onData);
    judge!.stderr!.on('data', onData);
    judge!.once('exit', (code) => reject(new Error(`reward worker exited (${code}): ${log}`)));
  });
  worker = await temporal.spawnWorker({ identity: 'w4' });
  const input = ownDataSpec('own-activity', { reward: { source: { kind: 'activity', taskQueue: 'own-judge' }, lengthPenalty: 0.01 } });
  const summary = await (await startCampaign(temporal.client, input)).result();
  await worker.kill('SIGTERM');
  expect(summary.iterations).toHaveLength(2);

  const spec = CampaignSpecSchema.parse(input);
  const task = await loadTask(spec, temporal.storeRoot);
  const ref = await store.find({ campaign: 'own-activity', iteration: 2, step: 'rank', name: 'scored.jsonl' });
  const rows: ScoredSample[] = [];
  for await (const r of store.readJsonl<ScoredSample>(ref!)) rows.push(r);
  for (const r of rows) {
    const expected = lengthPenalized(score({ id: '', prompt: '', response: task.render(r.response) }), task.responseLength(r.response), 0.01);
    expect(r.reward).toBeCloseTo(expected, 12);
  }
  // Evaluation asked the worker too: its requests are in the store under the evaluate step, and rewards are its scale.
  expect(summary.iterations.every((r) => r.eval.reward <= 0)).toBe(true);
  expect(summary.iterations[0].eval.responseChars).toBeGreaterThan(0);
});
