/**
 * Every algorithm as a durable campaign on a real Temporal dev server, against the in-process runner on the same
 * spec and seed: the final checkpoints must be byte-identical and every iteration record the same. Then, over every
 * history those campaigns recorded: no payload above 64 KiB, and replay without nondeterminism. And search attributes
 * find the campaigns.
 */
import { Worker } from '@temporalio/worker';
import { ALGORITHMS } from '../../schemas/campaign';
import type { CampaignSummary, IterationRecord } from '../../schemas/results';
import { runCampaign } from '../../engine/runner';
import { LocalArtifactStore } from '../../store/local';
import { listCampaigns, startCampaign } from '../../client/campaigns';
import { activityExecutions, payloadSizes } from '../../client/history';
import { startTemporalHarness, type TemporalHarness } from '../support/temporal';
import { tinySpec } from '../support/specs';
import { hfSpec, placeModel } from '../engine/hf/hf-fixtures';

jest.setTimeout(180_000);

let temporal: TemporalHarness;
let store: LocalArtifactStore;
const summaries = new Map<string, CampaignSummary>();

beforeAll(async () => {
  temporal = await startTemporalHarness();
  await temporal.startWorkers();
  store = new LocalArtifactStore(temporal.storeRoot);
});
afterAll(() => temporal?.teardown());

describe.each(ALGORITHMS)('%s on Temporal', (algorithm) => {
  test('completes with the same final checkpoint as the in-process runner', async () => {
    const spec = tinySpec(`alg-${algorithm}`, algorithm);
    const handle = await startCampaign(temporal.client, spec);
    const durable = await temporal.summary(handle);
    summaries.set(algorithm, durable);
    const inProcess = await runCampaign(spec, { store, campaign: `inproc-${algorithm}` });

    expect(durable.iterations.map((r) => r.iteration)).toEqual([1, 2]);
    expect(durable.stoppedEarly).toBe(false);
    expect(durable.finalCheckpoint.sha256).toEqual(inProcess.finalCheckpoint.sha256);
    expect(durable.iterations.map((r) => r.eval.J)).toEqual(inProcess.iterations.map((r) => r.eval.J));
    expect(durable.initial).toEqual(inProcess.initial);
    // Each iteration planned itself (the plan local activity in the iteration workflow): the same plans.
    expect(durable.iterations.map((r) => r.hyperparameters.plan)).toEqual(inProcess.iterations.map((r) => r.hyperparameters.plan));
    expect(durable.labels).toEqual(inProcess.labels);
    // Both wire an iteration with schemas/iteration-wiring.ts: the same record, field by field. Only where the bytes
    // live (the uri names the campaign) and the wall time differ.
    const comparable = (r: IterationRecord) => ({
      ...r, seconds: undefined, artifacts: Object.fromEntries(Object.entries(r.artifacts).map(([name, { uri: _uri, ...ref }]) => [name, ref])),
    });
    for (const [i, record] of durable.iterations.entries()) {
      const other = comparable(inProcess.iterations[i]);
      expect(Object.keys(record).sort()).toEqual(Object.keys(other).sort());
      for (const field of Object.keys(record) as Array<keyof IterationRecord>) expect([field, comparable(record)[field]]).toEqual([field, other[field]]);
    }
    // The ref is real: the store has those bytes and they verify.
    expect((await store.get(durable.finalCheckpoint)).length).toEqual(durable.finalCheckpoint.bytes);
  });
});

test('a campaign continues-as-new after execution.iterationsPerRun iterations, with the in-process runner\'s result', async () => {
  // With one iteration per run, run 1 finishes iterations 1 and 2 (2 started ahead while 1 evaluated), run 2 the 3rd.
  const spec = tinySpec('runs', 'online-iterative-dpo', { iterations: 3, execution: { iterationsPerRun: 1 } });
  const durable = await temporal.summary(await startCampaign(temporal.client, spec));
  const inProcess = await runCampaign(spec, { store, campaign: 'inproc-runs' });
  expect(durable.iterations.map((r) => r.iteration)).toEqual([1, 2, 3]);
  expect(durable.finalCheckpoint.sha256).toEqual(inProcess.finalCheckpoint.sha256);
  const runs: string[] = [];
  for await (const run of temporal.client.workflow.list({ query: `WorkflowId = 'runs'` })) runs.push(run.status.name);
  expect(runs.sort()).toEqual(['COMPLETED', 'CONTINUED_AS_NEW']);
});

test('a campaign on a Hugging Face policy (llama directory) runs the same steps on Temporal as in process', async () => {
  const spec = hfSpec(placeModel(temporal.storeRoot, 'llama'), { name: 'hf-llama' });
  const durable = await temporal.summary(await startCampaign(temporal.client, spec));
  const inProcess = await runCampaign(spec, { store, campaign: 'inproc-hf-llama' });
  expect(durable.iterations.map((r) => r.pairs)).toEqual(inProcess.iterations.map((r) => r.pairs));
  expect(durable.iterations.every((r) => r.pairs > 0)).toBe(true);
  expect(durable.finalCheckpoint.sha256).toEqual(inProcess.finalCheckpoint.sha256);
});

test('no payload in any recorded history exceeds 64 KiB', async () => {
  const histories = await temporal.histories();
  expect(histories.length).toBeGreaterThanOrEqual(ALGORITHMS.length * 3);
  const sizes = histories.flatMap(({ workflowId, history }) => payloadSizes(history).map((p) => ({ workflowId, ...p })));
  expect(sizes.length).toBeGreaterThan(100);
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  expect(largest.bytes).toBeGreaterThan(0);
  expect(sizes.filter((p) => p.bytes > 64 * 1024)).toEqual([]);
});

test('recorded histories replay without nondeterminism', async () => {
  const histories = await temporal.histories();
  const results = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: temporal.workflowBundle }, histories)) {
    results.push({ workflowId: result.workflowId, error: result.error?.message });
  }
  expect(results).toHaveLength(histories.length);
  expect(results.filter((r) => r.error)).toEqual([]);
});

test('search attributes find campaigns by algorithm, status and best J', async () => {
  const rso = summaries.get('rso')!;
  const bestJ = rso.iterations.find((r) => r.iteration === rso.bestIteration)!.eval.J;
  let found: Awaited<ReturnType<typeof listCampaigns>> = [];
  for (let i = 0; i < 50 && found.length === 0; i++) {
    found = await listCampaigns(temporal.client, `PrefloopAlgorithm = 'rso' AND PrefloopStatus = 'completed'`);
    if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
  }
  expect(found.map((c) => c.campaign)).toEqual(['alg-rso']);
  expect(found[0]).toMatchObject({ algorithm: 'rso', status: 'completed', iteration: 2, execution: 'COMPLETED' });
  expect(found[0].bestJ).toBeCloseTo(bestJ, 12);
  const all = await listCampaigns(temporal.client);
  // Other tests of this file share the server (hf-llama, fan-out): the algorithms' campaigns are the alg-* ones.
  expect(all.map((c) => c.campaign).filter((c) => c.startsWith('alg-')).sort()).toEqual(ALGORITHMS.map((a) => `alg-${a}`).sort());
});

test('sampling shards fan out across every worker of the inference queue', async () => {
  await temporal.startWorkers({ serve: ['inference'], identity: 'second-inference-worker' });
  const spec = tinySpec('fan-out', 'online-iterative-dpo', { iterations: 1, sampling: { promptsPerIteration: 64, n: 4, shards: 4 } });
  await (await startCampaign(temporal.client, spec)).result();
  const shards = activityExecutions(await temporal.client.workflow.getHandle('fan-out/iter-1').fetchHistory())
    .filter((a) => a.activityType === 'sampleShard');
  expect(shards).toHaveLength(4);
  expect(new Set(shards.map((s) => s.workerIdentity)).size).toBeGreaterThan(1);
  expect(shards.map((s) => s.workerIdentity)).toContain('second-inference-worker/inference');
});
