/**
 * A campaign started by a Temporal Schedule (workflow id `<schedule>-<RFC 3339 time>`) runs to completion.
 *
 * `prefloop gc` on a finished campaign of a real dev server: the data and checkpoints of iterations not kept are
 * pruned, the kept ones and set-up stay readable, the audit shows every pruned ref as pruned (every other ref still
 * reads and verifies), `prefloop history` marks them, and a fork from a pruned iteration fails at once as pruned.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';
import { auditCampaign, forkCampaign, startCampaign } from '../../client';
import { LocalArtifactStore } from '../../store/local';
import { startTemporalHarness, type TemporalHarness } from '../support/temporal';
import { tinySpec } from '../support/specs';
import { runCli } from '../cli/run-cli';

jest.setTimeout(180_000);

let temporal: TemporalHarness;
beforeAll(async () => {
  temporal = await startTemporalHarness();
  await temporal.startWorkers();
});
afterAll(() => temporal?.teardown());

test('gc --keep best,last prunes the rest, and the audit, history and a fork see pruned, not missing', async () => {
  const summary = await temporal.summary(await startCampaign(temporal.client, tinySpec('gc-me', 'online-iterative-dpo', { iterations: 4 })));
  const store = new LocalArtifactStore(temporal.storeRoot);
  const env = { TEMPORAL_ADDRESS: temporal.server.address, TEMPORAL_NAMESPACE: temporal.server.namespace, PREFLOOP_STORE: temporal.storeRoot };

  const dry = await runCli(['gc', 'gc-me', '--keep', 'best,last', '--dry-run', '--json'], env);
  expect(dry.code).toBe(0);
  const planned = JSON.parse(dry.stdout) as { kept: number[]; pruned: Array<{ iteration: number; uri: string }>; best: number; last: number };
  expect(planned.last).toBe(4);
  expect(planned.best).toBe(summary.bestIteration);
  expect(planned.kept).toEqual([...new Set([summary.bestIteration, 4])].sort());
  expect((await store.pruned('gc-me'))).toEqual([]);

  const run = await runCli(['gc', 'gc-me', '--keep', 'best,last'], env);
  expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^pruned ${planned.pruned.length} artifact\\(s\\), [\\d.]+ MiB, of campaign gc-me \\(finished; kept iterations`)) });
  const gone = new Set(planned.pruned.map((p) => p.uri));
  expect(gone.size).toBeGreaterThan(0);
  const prunedIterations = [1, 2, 3, 4].filter((t) => !planned.kept.includes(t));
  expect([...new Set(planned.pruned.map((p) => p.iteration))].sort()).toEqual(prunedIterations);

  // Every ref the audit names either reads and verifies, or is listed as pruned by the step that names it.
  const audit = await auditCampaign(temporal.client, store, 'gc-me');
  let checked = 0;
  let pruned = 0;
  for (const step of [audit.setup!, ...audit.iterations.flatMap((it) => it.steps)]) {
    const prunedHere = new Set((step.pruned ?? []).map((p) => p.uri));
    for (const ref of [...step.reads, ...step.writes]) {
      if (gone.has(ref.uri)) {
        expect(prunedHere.has(ref.uri)).toBe(true);
        await expect(store.get(ref)).rejects.toMatchObject({ name: 'ArtifactPrunedError' });
        pruned++;
      } else {
        await expect(store.get(ref)).resolves.toBeInstanceOf(Uint8Array);
        checked++;
      }
    }
  }
  expect([checked > 0, pruned > 0]).toEqual([true, true]);

  const history = await runCli(['history', 'gc-me'], env);
  expect(history.code).toBe(0);
  expect(history.stdout).toMatch(/policy\.safetensors:[0-9a-f]{12}\[pruned\]/);

  // A fork from a pruned iteration's checkpoint fails at its first step, non-retryable, saying pruned.
  const { handle } = await forkCampaign(temporal.client, { campaign: 'gc-me', iteration: prunedIterations[0], newCampaign: 'gc-fork' });
  let e: unknown = await handle.result().then(() => undefined, (err: unknown) => err);
  while (e instanceof WorkflowFailedError || e instanceof ChildWorkflowFailure || e instanceof ActivityFailure) e = e.cause;
  expect(e).toBeInstanceOf(ApplicationFailure);
  expect([(e as ApplicationFailure).type, (e as ApplicationFailure).nonRetryable]).toEqual(['PrefloopArtifactPruned', true]);
  expect((e as ApplicationFailure).message).toMatch(/was pruned at .* \(prefloop gc --keep best,last\)/);
});

test('a campaign a schedule starts (id <schedule>-<time>, with colons) runs and keeps its artifacts under that id', async () => {
  const schedule = await temporal.client.schedule.create({
    scheduleId: 'nightly',
    spec: { intervals: [{ every: '24h' }] },
    action: { type: 'startWorkflow', workflowType: 'preferenceCampaign', workflowId: 'nightly', taskQueue: 'prefloop-cpu', args: [{ spec: tinySpec('nightly', 'online-iterative-dpo', { iterations: 1 }) }] },
  });
  try {
    await schedule.trigger();
    let id: string | undefined;
    for (let i = 0; i < 100 && !id; i++) {
      id = (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!id) await new Promise((r) => setTimeout(r, 100));
    }
    expect(id).toMatch(/^nightly-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const summary = await temporal.summary(temporal.client.workflow.getHandle(id!));
    expect(summary.iterations).toHaveLength(1);
    const store = new LocalArtifactStore(temporal.storeRoot);
    await expect(store.get(summary.finalCheckpoint)).resolves.toBeInstanceOf(Uint8Array);
    expect(summary.finalCheckpoint.uri.startsWith(`store://${id}/iter-1/`)).toBe(true);
  } finally {
    await schedule.delete();
  }
});
