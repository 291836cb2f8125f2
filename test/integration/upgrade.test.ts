/**
 * Safe worker upgrades (workflows/versions.ts): a campaign started on version A (the code before the patches) keeps
 * running when A's workers stop mid-iteration and workers of version B (today's code, whose campaign adds a local
 * activity per iteration behind `patched()`) take over; it completes, B's new step ran only for the iterations B
 * finished, and every history (one campaign entirely on A, the one upgraded mid-way) replays on B's code. The same
 * histories fail to replay on B's code without the patch guard: the change would break running campaigns unversioned.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import type { History } from '@temporalio/common/lib/proto-utils';
import { startCampaign } from '../../client/campaigns';
import { childExecutions } from '../../client/history';
import type { IterationInput } from '../../workflows/types';
import { LocalArtifactStore } from '../../store/local';
import { resolvePairs } from '../../store/records';
import { startTemporalHarness, type TemporalHarness } from '../support/temporal';
import { tinySpec } from '../support/specs';
import { waitFor } from '../support/wait';

jest.setTimeout(240_000);

let temporal: TemporalHarness;
beforeAll(async () => { temporal = await startTemporalHarness(); });
afterAll(() => temporal?.teardown());

/** Today's workflows bundled with @temporalio/workflow replaced by `shim` (a version as it would behave). */
async function bundleWith(shim: string) {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('ERROR'),
    webpackConfigHook: (config) => {
      const alias = (config.resolve?.alias ?? {}) as Record<string, string | false>;
      config.resolve = { ...config.resolve, alias: { ...alias, '@temporalio/workflow$': path.join(__dirname, 'upgrade', shim) } };
      return config;
    },
  });
}

const recordFile = (campaign: string, t: number) => path.join(temporal.storeRoot, campaign, `iter-${t}`, 'campaign', 'record.json');

test('a campaign upgraded from A to B mid-iteration completes, and both versions\' histories replay on B', async () => {
  const [versionA, unguarded, previousRelease] = await Promise.all([bundleWith('before-patches.ts'), bundleWith('unguarded.ts'), bundleWith('previous-release.ts')]);

  const workersA = await temporal.startWorkers({ workflowBundle: versionA, identity: 'version-a' });
  const onA = await temporal.summary(await startCampaign(temporal.client, tinySpec('all-on-a', 'online-iterative-dpo', { iterations: 2 })));
  expect(onA.iterations).toHaveLength(2);
  expect(fs.existsSync(recordFile('all-on-a', 1))).toBe(false);

  // Iterations of a few seconds, so that A is stopped while iteration 2 is surely under way.
  const upgraded = await startCampaign(temporal.client, tinySpec('upgraded', 'online-iterative-dpo', {
    iterations: 3, sampling: { promptsPerIteration: 16, n: 4, shards: 2 }, update: { epochs: 6, batchSize: 4, checkpointEvery: 2 },
  }));
  // A has finished iteration 1 (the campaign recorded it) and iteration 2 is under way: stop A's workers.
  await waitFor('version A to finish iteration 1', async () => (await upgraded.describe()).searchAttributes.PrefloopIteration?.[0] === 1, 60_000, 100);
  expect((await temporal.client.workflow.getHandle('upgraded/iter-2').describe()).status.name).toBe('RUNNING');
  await workersA.shutdown();
  expect(fs.existsSync(recordFile('upgraded', 3))).toBe(false);

  await temporal.startWorkers({ identity: 'version-b' });
  // A campaign started on B keeps a count, not its records (PATCHES.boundedRecords): its result names how many the
  // store holds and the client reads them in. The one started on A keeps its records in state to the end.
  const onB = await startCampaign(temporal.client, tinySpec('all-on-b', 'online-iterative-dpo', { iterations: 2 }));
  const raw = await upgraded.result();
  expect(raw.iterations.map((r) => r.iteration)).toEqual([1, 2, 3]);
  expect(raw.recordsInStore).toBeUndefined();
  const summary = await temporal.summary(upgraded);
  expect(summary).toEqual(raw);
  // B's new step ran for what B finished; A's iteration 1 replayed on B without it.
  expect([1, 2, 3].map((t) => fs.existsSync(recordFile('upgraded', t)))).toEqual([false, true, true]);
  expect(JSON.parse(fs.readFileSync(recordFile('upgraded', 3), 'utf8'))).toEqual(summary.iterations[2]);

  const rawB = await onB.result();
  expect(rawB.iterations).toEqual([]);
  expect(rawB.recordsInStore).toBe(2);
  const onBSummary = await temporal.summary(onB);
  expect(onBSummary.iterations.map((r) => r.iteration)).toEqual([1, 2]);
  expect(onBSummary.iterations[1]).toEqual(JSON.parse(fs.readFileSync(recordFile('all-on-b', 2), 'utf8')));
  expect(onBSummary.iterations[1].artifacts.checkpoint).toEqual(rawB.finalCheckpoint);
  // ... and hands its iterations where the earlier pairs are (PATCHES.pairsFromStore), not the growing list of them,
  // while the campaign started on A hands the list to the end, B's iteration 3 included.
  const inputs = async (handle: { fetchHistory(): Promise<History> }) => childExecutions(await handle.fetchHistory()).map((c) => c.input as IterationInput);
  const onBInputs = await inputs(onB);
  expect(onBInputs.map((i) => [i.previousPairs, i.earlierPairs?.length])).toEqual([[[], 0], [[], 1]]);
  expect(await resolvePairs(new LocalArtifactStore(temporal.storeRoot), onBInputs[1].earlierPairs!)).toEqual([onBSummary.iterations[0].artifacts.pairs]);
  expect((await inputs(upgraded)).map((i) => [i.previousPairs.length, i.earlierPairs])).toEqual([[0, undefined], [1, undefined], [2, undefined]]);

  const histories = await temporal.histories("WorkflowType = 'preferenceCampaign'");
  expect(histories.map((h) => h.workflowId).sort()).toEqual(['all-on-a', 'all-on-b', 'upgraded']);
  const replay = async (bundle: { code: string }, which = histories) => {
    const failures: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, which)) {
      if (r.error) failures.push(`${r.workflowId}: ${r.error.name}`);
    }
    return failures;
  };
  expect(await replay(temporal.workflowBundle)).toEqual([]);
  // Without the guard, A's history (and the upgraded one's A part) would not replay: the change needed versioning.
  const startedOnA = histories.filter((h) => h.workflowId !== 'all-on-b');
  expect((await replay(unguarded, startedOnA)).sort()).toEqual(['all-on-a: DeterminismViolationError', 'upgraded: DeterminismViolationError']);
  // B's campaign does not replay on the previous release's code: keeping a count instead of records needed its patch.
  expect(await replay(previousRelease, histories.filter((h) => h.workflowId === 'all-on-b'))).toEqual(['all-on-b: DeterminismViolationError']);
});
