/**
 * Iterations overlap on a real Temporal dev server: iteration t+1 starts once t has trained (t's policy and pairs
 * are all it needs) while t evaluates, so starting an iteration no longer follows compute. With one inference slot
 * t's evaluation still runs before t+1's sampling. Control counts from the newest iteration started: a patch applies
 * after it, and stopAfterIteration lets it finish. The results are those of one iteration after the other
 * (algorithms.test.ts compares final checkpoints with the in-process runner).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { auditCampaign, cancelCampaign, campaignStatus, setHyperparameters, startCampaign, stopCampaignAfterIteration } from '../../client';
import { LocalArtifactStore } from '../../store/local';
import { activityExecutions, childExecutions } from '../../client/history';
import { startTemporalHarness, type TemporalHarness } from '../support/temporal';
import { tinySpec } from '../support/specs';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

let temporal: TemporalHarness;

beforeAll(async () => {
  temporal = await startTemporalHarness();
  await temporal.startWorkers();
});
afterAll(() => temporal?.teardown());

const running = async (workflowId: string) => {
  try {
    return (await temporal.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch {
    return false;
  }
};

/** An exact evaluation over 8^4 responses of 48 prompts: long enough (seconds) to act while it runs. */
const slowEvaluation = (name: string) => tinySpec(name, 'online-iterative-dpo', {
  iterations: 3,
  task: { name: 'bandit', vocab: 8, promptLength: 2, responseLength: 4, trainPrompts: 32, evalPrompts: 48, sft: { steps: 10, batchSize: 8 } },
  evaluation: { prompts: 48, exact: true },
});

const bothRunning = (campaign: string) =>
  waitFor('iteration 2 to start while iteration 1 runs', async () => (await running(`${campaign}/iter-2`)) && (await running(`${campaign}/iter-1`)), 60_000, 10);

test('iteration t+1 starts while t evaluates; a patch then applies after t+1, and a stop lets t+1 finish', async () => {
  const handle = await startCampaign(temporal.client, slowEvaluation('pipe'));
  await bothRunning('pipe');

  const status = await campaignStatus(temporal.client, 'pipe');
  expect(status.iteration).toBe(2);
  // Iteration 2 planned itself as it started: the audit shows its plan while it runs.
  await waitFor('iteration 2 to have planned', async () => {
    const audit = await auditCampaign(temporal.client, new LocalArtifactStore(temporal.storeRoot), 'pipe');
    return audit.iterations.find((i) => i.iteration === 2)?.plan?.iteration === 2;
  }, 30_000, 10);
  expect(await setHyperparameters(temporal.client, 'pipe', { update: { beta: 0.3 } })).toEqual({ appliesFrom: 3 });
  await stopCampaignAfterIteration(temporal.client, 'pipe');
  const summary = await temporal.summary(handle);
  expect(summary.stoppedEarly).toBe(true);
  expect(summary.iterations.map((r) => r.iteration)).toEqual([1, 2]);
  expect(summary.iterations.map((r) => (r.hyperparameters.update as { beta: number }).beta)).toEqual([0.1, 0.1]);

  const children = childExecutions(await handle.fetchHistory());
  expect(children.map((c) => c.workflowId)).toEqual(['pipe/iter-1', 'pipe/iter-2']);
  const [first, second] = children;
  expect(second.startedAt!).toBeLessThan(first.closedAt!);
  // Iteration 2 started from iteration 1's policy, and after iteration 1's update had finished.
  expect((second.input as { policy: { sha256: string } }).policy.sha256).toEqual(summary.iterations[0].artifacts.checkpoint.sha256);
  const steps1 = activityExecutions(await temporal.client.workflow.getHandle('pipe/iter-1').fetchHistory());
  const steps2 = activityExecutions(await temporal.client.workflow.getHandle('pipe/iter-2').fetchHistory());
  const update1 = steps1.find((a) => a.activityType === 'update')!;
  const evaluate1 = steps1.find((a) => a.activityType === 'evaluate')!;
  expect(update1.closedAt!).toBeLessThanOrEqual(second.startedAt!);
  // One inference slot: iteration 1's evaluation ran first, then iteration 2's sampling.
  const firstSample2 = Math.min(...steps2.filter((a) => a.activityType === 'sampleShard').map((a) => a.startedAt!));
  expect(evaluate1.closedAt!).toBeLessThanOrEqual(firstSample2);
  await expect(running('pipe/iter-3')).resolves.toBe(false);
});

test('cancelling with two iterations in flight cancels both and ends once neither runs', async () => {
  const handle = await startCampaign(temporal.client, slowEvaluation('pipe-cancel'));
  await bothRunning('pipe-cancel');
  await cancelCampaign(temporal.client, 'pipe-cancel');
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  // The campaign ended only after its iterations had, none terminated: iteration 2 was cancelled; iteration 1 was
  // cancelled too, or completed when its evaluation (the step in flight) finished first.
  const status = async (id: string) => (await temporal.client.workflow.getHandle(id).describe()).status.name;
  expect(['CANCELLED', 'COMPLETED']).toContain(await status('pipe-cancel/iter-1'));
  expect(await status('pipe-cancel/iter-2')).toEqual('CANCELLED');
});
