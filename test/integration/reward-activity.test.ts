/**
 * The `activity` reward source on a real Temporal dev server: prefloop's workers in this process, the reward worker
 * (examples/reward-worker/worker.ts, and worker.py with the temporalio Python SDK) in another process on its own task
 * queue. The campaign's rewards are the worker's scores minus the length penalty; a worker that is down, or that
 * answers NaN, a string, a missing or an extra id, fails the campaign once, naming the queue and the bad row.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';
import { startCampaign } from '../../client';
import { formatStatus, statusReport } from '../../cli/commands/status';
import { CampaignSpecSchema, type CampaignSpecInput } from '../../schemas/campaign';
import { LocalArtifactStore } from '../../store/local';
import { taskFromSpec } from '../../engine/tasks';
import { lengthPenalized } from '../../engine/preference/length-penalty';
import type { ScoredSample } from '../../engine/preference/types';
import { score } from '../../examples/reward-worker/worker';
import { REWARD_REQUEST_WORKFLOW } from '../../activities/reward-caller';
import { rewardRequest } from '../../workflows/reward-request';
import { startTemporalHarness, type TemporalHarness } from '../support/temporal';
import { tinySpec } from '../support/specs';

jest.setTimeout(180_000);

const REPO = path.resolve(__dirname, '..', '..');
let temporal: TemporalHarness;
let store: LocalArtifactStore;
const children: ChildProcess[] = [];

beforeAll(async () => {
  temporal = await startTemporalHarness();
  await temporal.startWorkers();
  store = new LocalArtifactStore(temporal.storeRoot);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await temporal?.teardown();
});

/** A reward worker process; resolves once it says it serves its queue. */
async function rewardWorker(command: string, args: string[], queue: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(command, [...args, '--queue', queue, '--address', temporal.server.address, '--namespace', temporal.server.namespace], {
    cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`reward worker not ready in 60 s:\n${log}`)), 60_000);
    const onData = (d: Buffer) => {
      log += d;
      if (log.includes(`on task queue '${queue}'`)) { clearTimeout(timer); resolve(); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`reward worker exited (${code}):\n${log}`)); });
  });
  return child;
}

const nodeWorker = (queue: string, fault?: string) =>
  rewardWorker(process.execPath, ['-r', '@swc-node/register', 'examples/reward-worker/worker.ts'], queue, fault ? { REWARD_WORKER_FAULT: fault } : {});

function spec(name: string, queue: string, extra: Partial<CampaignSpecInput> = {}): CampaignSpecInput {
  return tinySpec(name, 'online-iterative-dpo', {
    iterations: 1,
    reward: { source: { kind: 'activity', taskQueue: queue, scheduleToStartTimeout: '3s' }, lengthPenalty: 0.05 },
    ...extra,
  });
}

function rootCause(err: unknown): ApplicationFailure {
  let e: unknown = err;
  while (e instanceof WorkflowFailedError || e instanceof ChildWorkflowFailure || e instanceof ActivityFailure) e = e.cause;
  expect(e).toBeInstanceOf(ApplicationFailure);
  return e as ApplicationFailure;
}

async function scoredRows(campaign: string): Promise<ScoredSample[]> {
  const ref = await store.find({ campaign, iteration: 1, step: 'rank', name: 'scored.jsonl' });
  expect(ref).toBeDefined();
  const rows: ScoredSample[] = [];
  for await (const r of store.readJsonl<ScoredSample>(ref!)) rows.push(r);
  return rows;
}

async function expectScoredByWorker(campaign: string, input: CampaignSpecInput): Promise<void> {
  const task = taskFromSpec(CampaignSpecSchema.parse(input));
  const rows = await scoredRows(campaign);
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    const expected = lengthPenalized(score({ id: '', prompt: '', response: task.render(r.response) }), task.responseLength(r.response), 0.05);
    expect(r.reward).toBeCloseTo(expected, 12);
  }
  // The worker's rule is not the task's gold reward: the rewards really came from it.
  expect(rows.some((r) => Math.abs(r.reward - r.gold!) > 1e-6)).toBe(true);
}

test('the activities start the workflow that workflows/ defines', () => {
  expect(REWARD_REQUEST_WORKFLOW).toBe(rewardRequest.name);
});

test('a reward worker in another process scores the campaign\'s responses (TypeScript example worker)', async () => {
  await nodeWorker('judge-ts');
  const input = spec('activity-ts', 'judge-ts');
  const handle = await startCampaign(temporal.client, input);
  const summary = await temporal.summary(handle);
  expect(summary.iterations).toHaveLength(1);
  await expectScoredByWorker('activity-ts', input);
});

test('the Python example worker (temporalio SDK) serves the same contract', async () => {
  const python = process.env.PREFLOOP_PYTHON ?? 'python3';
  await rewardWorker(python, ['examples/reward-worker/worker.py'], 'judge-py');
  const input = spec('activity-py', 'judge-py');
  await (await startCampaign(temporal.client, input)).result();
  await expectScoredByWorker('activity-py', input);
});

test('a Python worker\'s NaN (a bare NaN token, not JSON) is refused naming the queue and the row', async () => {
  await rewardWorker(process.env.PREFLOOP_PYTHON ?? 'python3', ['examples/reward-worker/worker.py'], 'judge-py-nan', { REWARD_WORKER_FAULT: 'nan' });
  const handle = await startCampaign(temporal.client, spec('activity-py-nan', 'judge-py-nan'));
  const failure = rootCause(await handle.result().then(() => undefined, (e: unknown) => e));
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(/task queue 'judge-py-nan': row 1 of its answer \(id "[^"]+"\) has reward "NaN", not a finite number/);
});

test('a reward worker that starts late: the status says the campaign waits for workers on its queue, then it completes', async () => {
  const handle = await startCampaign(temporal.client, spec('activity-late', 'judge-late', {
    reward: { source: { kind: 'activity', taskQueue: 'judge-late', scheduleToStartTimeout: '2m' }, lengthPenalty: 0.05 },
  }));
  let text = '';
  const deadline = Date.now() + 60_000;
  while (!/waiting for a worker/.test(text) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    text = formatStatus(await statusReport(temporal.client, 'activity-late', store));
  }
  expect(text).toMatch(/waiting for a worker on task queue 'judge-late' \(reward activity 'reward', scheduled .*\): start the reward worker on that queue/);
  await nodeWorker('judge-late');
  const summary = await temporal.summary(handle);
  expect(summary.iterations).toHaveLength(1);
  expect((await statusReport(temporal.client, 'activity-late', store)).waiting).toBeUndefined();
});

test('no worker on the queue: the campaign fails after scheduleToStartTimeout, naming the queue', async () => {
  const started = Date.now();
  const handle = await startCampaign(temporal.client, spec('activity-down', 'nobody-home'));
  const failure = rootCause(await handle.result().then(() => undefined, (e: unknown) => e));
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(/no worker on task queue 'nobody-home' picked up reward activity 'reward' within 3s; start the reward worker/);
  expect(Date.now() - started).toBeLessThan(90_000);
});

test.each([
  ['nan', /task queue 'judge-nan': row 1 of its answer \(id "[^"]+"\) has reward null, not a finite number/],
  ['string', /task queue 'judge-string': row 0 of its answer \(id "[^"]+"\) has reward "-?[0-9.]+", not a finite number/],
  ['missing', /reward activity 'reward' on task queue 'judge-missing' returned no reward for id "[^"]+" \(1 of \d+ ids missing\)/],
  ['extra', /task queue 'judge-extra': row \d+ of its answer has id "not-asked", which is not in the request \(an extra id\)/],
])('a worker that answers with %s fails the campaign once, naming the queue and the first bad row', async (fault, message) => {
  await nodeWorker(`judge-${fault}`, fault);
  const handle = await startCampaign(temporal.client, spec(`activity-${fault}`, `judge-${fault}`));
  const failure = rootCause(await handle.result().then(() => undefined, (e: unknown) => e));
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(message);
  // Nothing already in the store is lost: setup's artifacts still verify.
  const setupRefs = (await store.list(`activity-${fault}`)).filter(({ key }) => key.iteration === 0);
  expect(setupRefs.length).toBeGreaterThan(0);
  for (const { ref } of setupRefs) await store.get(ref);
});
