/**
 * Controlling a running campaign on a real Temporal dev server: pause holds before the next step and resume
 * continues; setHyperparameters rejects an invalid patch by field path and applies a valid one from the next
 * iteration (visible in the audit); stopAfterIteration ends cleanly; fork starts from another campaign's iteration.
 * All of it across continue-as-new.
 */
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { LocalArtifactStore } from '../../store/local';
import {
  auditCampaign, cancelCampaign, campaignStatus, forkCampaign, listCampaigns, pauseCampaign, resumeCampaign, setHyperparameters,
  startCampaign, stopCampaignAfterIteration,
} from '../../client';
import { iterationStatusQuery } from '../../workflows/messages';
import { activityExecutions, childExecutions, payloadSizes } from '../../client/history';
import type { IterationInput } from '../../workflows/types';
import { startTemporalHarness, type TemporalHarness } from '../support/temporal';
import { isQuiescent, pendingActivities } from '../support/pending';
import { tinySpec } from '../support/specs';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

let temporal: TemporalHarness;
let store: LocalArtifactStore;

beforeAll(async () => {
  // Temporal suggests continue-as-new after 10 events: every campaign here continues-as-new after each iteration,
  // so control, audit and fork are exercised across runs.
  temporal = await startTemporalHarness({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 10 } });
  await temporal.startWorkers();
  store = new LocalArtifactStore(temporal.storeRoot);
});
afterAll(() => temporal?.teardown());

async function rejection(patch: Record<string, unknown>): Promise<string> {
  const err = await setHyperparameters(temporal.client, 'ctl', patch).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause?.message ?? '';
}

test('pause, resume, setHyperparameters, stopAfterIteration, audit and fork', async () => {
  const spec = tinySpec('ctl', 'online-iterative-dpo', { iterations: 3 });
  const handle = await startCampaign(temporal.client, spec);
  await waitFor('iteration 1 to start', async () => (await temporal.client.workflow.getHandle('ctl/iter-1').describe()).status.name === 'RUNNING');

  // Invalid patches are refused by the validator, naming the field; frozen fields point to fork.
  expect(await rejection({ update: { beta: -1 } })).toMatch(/update\.beta/);
  expect(await rejection({ update: { loss: 'ppo' } })).toMatch(/update\.loss.*sigmoid/s);
  expect(await rejection({ algorithm: 'rso' })).toMatch(/algorithm.*fork/s);
  // A valid one applies from the next iteration.
  expect(await setHyperparameters(temporal.client, 'ctl', { update: { beta: 0.25 } })).toEqual({ appliesFrom: 2 });

  // Pause holds before the next step: nothing runs, the step does not move, status says so.
  await pauseCampaign(temporal.client, 'ctl');
  const held = await waitFor('iteration 1 to hold', async () => {
    const s = await temporal.client.workflow.getHandle('ctl/iter-1').query(iterationStatusQuery);
    return s.paused && (await isQuiescent(temporal.client, 'ctl/iter-1')) ? s : undefined;
  });
  await new Promise((r) => setTimeout(r, 1500));
  const still = await temporal.client.workflow.getHandle('ctl/iter-1').query(iterationStatusQuery);
  expect(still).toEqual(held);
  expect(await pendingActivities(temporal.client, 'ctl/iter-1')).toEqual([]);
  const status = await campaignStatus(temporal.client, 'ctl');
  expect(status).toMatchObject({ paused: true, iteration: 1, step: held.step });
  expect(status.pending).toEqual([expect.objectContaining({ patch: { update: { beta: 0.25 } }, appliesFrom: 2 })]);
  const paused = await waitFor('the paused search attribute', async () =>
    (await listCampaigns(temporal.client, `PrefloopStatus = 'paused'`)).find((c) => c.campaign === 'ctl'));
  expect(paused.execution).toEqual('RUNNING');

  await resumeCampaign(temporal.client, 'ctl');
  await waitFor('iteration 2 to start', async () => (await temporal.client.workflow.getHandle('ctl/iter-2').describe()).status.name === 'RUNNING');
  await stopCampaignAfterIteration(temporal.client, 'ctl');
  const summary = await temporal.summary(handle);
  expect(summary.stoppedEarly).toBe(true);
  expect(summary.iterations.map((r) => r.iteration)).toEqual([1, 2]);
  const stopped = await waitFor('the stopped search attribute', async () =>
    (await listCampaigns(temporal.client, `PrefloopStatus = 'stopped'`)).find((c) => c.campaign === 'ctl'));
  expect(stopped.execution).toEqual('COMPLETED');

  // The audit shows the patch, from iteration 2 on, and every step with refs, seeds, attempts and durations.
  const audit = await auditCampaign(temporal.client, store, 'ctl');
  expect(audit.runs.length).toBeGreaterThan(1);
  expect(audit.iterations.map((i) => i.hyperparameters.update.beta)).toEqual([0.1, 0.25]);
  const accepted = audit.control.filter((c) => c.kind === 'update');
  expect(accepted).toEqual([expect.objectContaining({ name: 'setHyperparameters', args: [{ update: { beta: 0.25 } }], result: { appliesFrom: 2 } })]);
  expect(audit.control.map((c) => c.name)).toEqual(expect.arrayContaining(['pause', 'resume', 'stopAfterIteration']));
  expect(audit.setup?.writes.map((r) => r.uri)).toEqual(expect.arrayContaining([expect.stringMatching(/train-prompts\.jsonl$/)]));
  // pi0's evaluation is iteration 0's evaluate step, beside the setup step.
  const pi0 = (audit.iterations[0].steps[0].input as { policy: { sha256: string } }).policy.sha256;
  expect(audit.initialEvaluation).toMatchObject({ step: 'evaluate', status: 'completed', seed: { iteration: 0 }, output: summary.initial });
  expect((audit.initialEvaluation!.input as { checkpoint: { sha256: string } }).checkpoint.sha256).toEqual(pi0);
  for (const iteration of audit.iterations) {
    expect(iteration.steps.map((s) => s.step)).toEqual(['sample', 'sample', 'rank', 'filter', 'update', 'evaluate']);
    expect(iteration.plan).toMatchObject({ iteration: iteration.iteration, algorithm: 'online-iterative-dpo' });
    for (const step of iteration.steps) {
      expect(step).toMatchObject({ status: 'completed', attempts: 1, seed: { root: 7, iteration: iteration.iteration } });
      expect(step.runSeconds).toBeGreaterThanOrEqual(0);
    }
    const filter = iteration.steps.find((s) => s.step === 'filter')!;
    expect(filter.writes[0]).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), rows: expect.any(Number) });
    expect(iteration.steps.find((s) => s.step === 'update')!.journal).toEqual([expect.objectContaining({ attempt: 1, resumeFrom: null })]);
    expect(iteration.checkpoint).toEqual(summary.iterations[iteration.iteration - 1].artifacts.checkpoint);
  }

  // Its iterations' steps all finished at their first attempt: the audit reads them from the store's step records, not
  // from each iteration's history, and sees the same steps (all but the worker's identity and the times' clock).
  const full = await auditCampaign(temporal.client, store, 'ctl', { childHistories: 'all' });
  const timeless = (a: typeof audit) => a.iterations.map((it) => ({ ...it, steps: it.steps.map(({ worker: _w, queueSeconds: _q, runSeconds: _r, ...step }) => step) }));
  expect(timeless(audit)).toEqual(timeless(full));
  expect(audit.iterations.flatMap((it) => it.steps.map((s) => s.worker))).toEqual(Array(12).fill(undefined));
  expect(full.iterations.flatMap((it) => it.steps.map((s) => s.worker)).every((w) => typeof w === 'string')).toBe(true);

  // Fork at iteration 1 with another beta: iteration 0 of the fork is iteration 1 of ctl.
  const { handle: fork } = await forkCampaign(temporal.client, { campaign: 'ctl', iteration: 1, patch: { iterations: 1, update: { beta: 0.5 } }, newCampaign: 'ctl-fork1' });
  const forked = await temporal.summary(fork);
  expect(forked.initial).toEqual(summary.iterations[0].eval);
  const forkAudit = await auditCampaign(temporal.client, store, 'ctl-fork1');
  expect(forkAudit.fork).toMatchObject({ campaign: 'ctl', iteration: 1, checkpoint: summary.iterations[0].artifacts.checkpoint, patch: { update: { beta: 0.5 } } });
  expect(forkAudit.setup).toBeUndefined();
  const firstSample = forkAudit.iterations[0].steps.find((s) => s.step === 'sample')!;
  expect((firstSample.input as { policy: { sha256: string } }).policy.sha256).toEqual(summary.iterations[0].artifacts.checkpoint.sha256);
  expect(forkAudit.iterations[0].hyperparameters.update.beta).toEqual(0.5);
  expect((await campaignStatus(temporal.client, 'ctl-fork1')).fork).toMatchObject({ campaign: 'ctl', iteration: 1 });
  expect(forkAudit.initialEvaluation).toBeUndefined();

  // Fork at iteration 0: pi0 and its evaluation.
  const { handle: fork0 } = await forkCampaign(temporal.client, { campaign: 'ctl', iteration: 0, patch: { iterations: 1 }, newCampaign: 'ctl-fork0' });
  expect((await temporal.summary(fork0)).initial).toEqual(summary.initial);

  // Fork at iteration 2, accumulating: the fork is handed where ctl's pairs are (segments), not a list of them, and its
  // update trains on ctl's pairs of iterations 1 and 2 (read from ctl's records in the store), then on its own.
  const { handle: fork2 } = await forkCampaign(temporal.client, { campaign: 'ctl', iteration: 2, patch: { iterations: 1, update: { data: 'accumulate' } }, newCampaign: 'ctl-fork2' });
  const forked2 = await temporal.summary(fork2);
  const child = childExecutions(await fork2.fetchHistory())[0].input as IterationInput;
  expect(child.previousPairs).toEqual([]);
  expect(child.earlierPairs!.length).toBeLessThanOrEqual(2);
  const update = (await auditCampaign(temporal.client, store, 'ctl-fork2')).iterations[0].steps.find((s) => s.step === 'update')!;
  expect((update.input as { pairs: unknown[] }).pairs).toEqual([summary.iterations[0].artifacts.pairs, summary.iterations[1].artifacts.pairs, forked2.iterations[0].artifacts.pairs]);
});

test('cancel stops the step in flight promptly and the campaign ends cancelled', async () => {
  const spec = tinySpec('cnl', 'online-iterative-dpo', {
    iterations: 1,
    task: { name: 'bandit', vocab: 4, promptLength: 2, responseLength: 3, trainPrompts: 1024, evalPrompts: 4, sft: { steps: 10, batchSize: 8 } },
    sampling: { promptsPerIteration: 1024, n: 8, shards: 2 },
    update: { epochs: 8, batchSize: 16, checkpointEvery: 10 },
  });
  const handle = await startCampaign(temporal.client, spec);
  await waitFor('training to be under way', async () =>
    (await pendingActivities(temporal.client, 'cnl/iter-1')).some((p) => p.activityType === 'update' && p.cursor !== undefined), 120_000);
  const requested = Date.now();
  await cancelCampaign(temporal.client, 'cnl');
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  const update = activityExecutions(await temporal.client.workflow.getHandle('cnl/iter-1').fetchHistory()).find((a) => a.activityType === 'update')!;
  expect(update.status).toEqual('canceled');
  expect(update.closedAt! - requested).toBeLessThan(5_000);
  expect(await store.find({ campaign: 'cnl', iteration: 1, step: 'update', name: 'policy.safetensors' })).toBeUndefined();
  const listed = await waitFor('the cancelled search attribute', async () =>
    (await listCampaigns(temporal.client, `PrefloopStatus = 'cancelled'`)).find((c) => c.campaign === 'cnl'));
  expect(listed.execution).toEqual('CANCELLED');
});

test('histories with signals, updates, continue-as-new, forks and cancellation replay and keep payloads small', async () => {
  const histories = await temporal.histories();
  expect(histories.filter((h) => h.workflowId === 'ctl').length).toBeGreaterThan(1);
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: temporal.workflowBundle }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  const sizes = histories.flatMap(({ history }) => payloadSizes(history));
  expect(Math.max(...sizes.map((p) => p.bytes))).toBeLessThanOrEqual(64 * 1024);
});
