/**
 * Campaigns on your own data under a real Temporal dev server, with the workers in child processes: online iterative
 * DPO for 2 iterations on the tiny llama fixture, the prompt files (training prompts JSONL, held-out prompts the
 * Parquet twin that pyarrow wrote) and the ONNX reward model directory, and once with the `activity` reward served by
 * the Python example worker in another process.
 *
 * One scenario, three campaigns sharing the server and the workers, so that each dead worker's heartbeat timeout
 * (10 s) is filled with the other campaigns' work and the in-process reference run (the file took ~70 s as two
 * tests that waited them out in turn):
 * - A (ONNX reward model): the worker sampling for it SIGKILLed mid-sampling (after a shard's first chunk of two);
 * - B (A's spec, started then): the other worker SIGKILLed mid-training (after a saved optimizer step), before A's
 *   sampling is retried;
 * - C (`activity` reward, the Python worker): started with A, so it lives through both kills too.
 * A and B must end on the uninterrupted in-process run's checkpoint (sha256) and evaluations; A's export has the input
 * model's tensor names, shapes and dtypes; C's ranks and evaluations are the worker's scores; `history` shows the
 * same evaluation table as `status`.
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
import { auditCampaign, startCampaign } from '../../client';
import { exportIteration } from '../../client/export-model';
import { CampaignSpecSchema, type CampaignSpecInput } from '../../schemas/campaign';
import type { CampaignSummary } from '../../schemas/results';
import { auditEvaluationRows } from '../../cli/audit';
import { formatIterationRows, formatIterationTable } from '../../cli/iteration-table';
import { score } from '../../examples/reward-worker/worker';
import { startTemporalHarness, type ChildWorker, type TemporalHarness } from '../support/temporal';
import { pendingActivities } from '../support/pending';
import { waitFor } from '../support/wait';
import { ownDataSpec, placeOwnData } from '../support/own-data';

jest.setTimeout(240_000);

const REPO = path.resolve(__dirname, '..', '..');
let temporal: TemporalHarness;
let store: LocalArtifactStore;
let judge: ChildProcess | undefined;

/** Big enough that the sampling shard (two chunks of 8 prompts) and the update each pass a resumable point before they end. */
const onnxSpec = (name: string) => ownDataSpec(name, {
  task: { name: 'files', prompts: 'inputs/prompts-train.jsonl', evalPrompts: 'inputs/prompts-eval.parquet' },
  sampling: { promptsPerIteration: 16, n: 8, shards: 1, maxNewTokens: 12 },
  update: { lr: 1e-3, epochs: 3, batchSize: 2, checkpointEvery: 2 },
});
const activitySpec = ownDataSpec('own-activity', { reward: { source: { kind: 'activity', taskQueue: 'own-judge' }, lengthPenalty: 0.01 } });

const results: { reference?: CampaignSummary; a?: CampaignSummary; b?: CampaignSummary; c?: CampaignSummary } = {};

/** The Python example reward worker (temporalio SDK), serving `reward` on 'own-judge'; resolves once it polls. */
function startJudge(): Promise<void> {
  judge = spawn(process.env.PREFLOOP_PYTHON ?? 'python3', ['examples/reward-worker/worker.py', '--queue', 'own-judge', '--address', temporal.server.address, '--namespace', temporal.server.namespace], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  return new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => { log += d; if (log.includes("task queue 'own-judge'")) resolve(); };
    judge!.stdout!.on('data', onData);
    judge!.stderr!.on('data', onData);
    judge!.once('exit', (code) => reject(new Error(`reward worker exited (${code}): ${log}`)));
  });
}

/**
 * Once `workflowId` has `activityType` in flight with a cursor that `ready` accepts, SIGKILLs the worker running it
 * (one of `workers`, by identity); returns the others.
 */
async function killWhen(workers: Record<string, ChildWorker>, what: string, workflowId: string, activityType: string, ready: (cursor: any) => boolean): Promise<Record<string, ChildWorker>> {
  const running = await waitFor(what, async () => {
    const pending = await pendingActivities(temporal.client, workflowId);
    return pending.find((p) => p.activityType === activityType && p.cursor !== undefined && ready(p.cursor))?.worker;
  }, 120_000, 10);
  const name = Object.keys(workers).find((w) => running.startsWith(`${w}/`));
  if (!name) throw new Error(`${what}: on worker '${running}', not one of ${Object.keys(workers).join(', ')}`);
  await workers[name].kill('SIGKILL');
  return Object.fromEntries(Object.entries(workers).filter(([w]) => w !== name));
}

beforeAll(async () => {
  temporal = await startTemporalHarness();
  store = new LocalArtifactStore(temporal.storeRoot);
  placeOwnData(temporal.storeRoot);
  const [w1, w2] = await Promise.all([temporal.spawnWorker({ identity: 'w1' }), temporal.spawnWorker({ identity: 'w2' }), startJudge()]);

  const a = await startCampaign(temporal.client, onnxSpec('own-onnx'));
  const c = await startCampaign(temporal.client, activitySpec);
  const survivor = await killWhen({ w1, w2 }, 'A sampling, a chunk written', 'own-onnx/iter-1', 'sampleShard', (cur) => cur.step === 'sample');

  // While A's sampling waits out its heartbeat timeout, B runs on the other worker (the only one left).
  const b = await startCampaign(temporal.client, onnxSpec('own-onnx-b'));
  await killWhen(survivor, 'B training, an optimizer state saved', 'own-onnx-b/iter-1', 'update', (cur) => cur.step >= 2);

  // While B's update waits out its heartbeat timeout: the uninterrupted run here, and a last worker (in this
  // process: nothing left to kill) on which whatever the kills interrupted resumes.
  const reference = runCampaign(onnxSpec('own-onnx'), { store, campaign: 'own-onnx-reference' });
  await temporal.startWorkers();
  [results.reference, results.a, results.b, results.c] = await Promise.all([reference, temporal.summary(a), temporal.summary(b), temporal.summary(c)]);
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

test('workers SIGKILLed mid-sampling (A) and mid-training (B) give the uninterrupted run\'s checkpoint and evaluations', async () => {
  const { reference, a, b } = results;
  for (const summary of [a!, b!]) {
    expect(summary.finalCheckpoint.sha256).toBe(reference!.finalCheckpoint.sha256);
    expect(summary.iterations.map((r) => r.eval.reward)).toEqual(reference!.iterations.map((r) => r.eval.reward));
  }
  expect(a!.iterations[1].eval.rewardStderr).toBeGreaterThan(0);
  // The killed steps were really resumed by another attempt.
  const attempts = async (campaign: string, step: string) => (await auditCampaign(temporal.client, store, campaign)).iterations[0].steps.filter((s) => s.step === step).map((s) => s.attempts);
  expect(Math.max(...await attempts('own-onnx', 'sample'))).toBeGreaterThan(1);
  expect(Math.max(...await attempts('own-onnx-b', 'update'))).toBeGreaterThan(1);
});

test('the exported checkpoint has the input model\'s tensor names, shapes and dtypes', async () => {
  const out = path.join(temporal.dir, 'exported');
  await exportIteration(store, 'own-onnx', 2, out);
  const input = safetensorsHeader(path.join(temporal.storeRoot, 'models', 'llama', 'model.safetensors'));
  expect(safetensorsHeader(path.join(out, 'model.safetensors'))).toEqual(input);
  expect(Object.keys(input).length).toBeGreaterThan(5);
});

test('history shows the evaluation table that status shows', async () => {
  const table = formatIterationRows(auditEvaluationRows(await auditCampaign(temporal.client, store, 'own-onnx')));
  expect(table).toBe(formatIterationTable(results.a!));
  expect(table).toMatch(/^\s*2\s+-?\d+\.\d{4}±\d+\.\d{4}\s+-?\d+\.\d{4}±\d+\.\d{4}\s/m);
});

test('the Python reward worker in another process (activity) ranks and evaluates a files campaign', async () => {
  const summary = results.c!;
  expect(summary.iterations).toHaveLength(2);
  const task = await loadTask(CampaignSpecSchema.parse(activitySpec as CampaignSpecInput), temporal.storeRoot);
  const ref = await store.find({ campaign: 'own-activity', iteration: 2, step: 'rank', name: 'scored.jsonl' });
  const rows: ScoredSample[] = [];
  for await (const r of store.readJsonl<ScoredSample>(ref!)) rows.push(r);
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    // worker.py's rule, which is worker.ts's `score`.
    const expected = lengthPenalized(score({ id: '', prompt: '', response: task.render(r.response) }), task.responseLength(r.response), 0.01);
    expect(r.reward).toBeCloseTo(expected, 12);
  }
  // Evaluation asked the worker too: rewards on its scale (<= 0), lengths in characters.
  expect(summary.iterations.every((r) => r.eval.reward <= 0)).toBe(true);
  expect(summary.iterations[0].eval.responseChars).toBeGreaterThan(0);
});
