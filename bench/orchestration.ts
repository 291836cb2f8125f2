/**
 * Orchestration overhead: the default campaign (every spec default) as a durable Temporal campaign versus the
 * in-process runner, on the same machine, each with a fresh store (both train pi0). Temporal time is measured from
 * starting the workflow to its result (server start, bundling and worker start are one-off and excluded; they
 * are printed separately).
 *
 *   npm run bench:orchestration -- [--json] [--spec FILE] [--repeat N]
 *
 * Each side runs N times (default 3), alternating, so each durable run has an in-process twin measured right
 * before it under the same machine load; the figures are medians over the pairs. Also printed (not in the JSON):
 * within each durable run, the time its activities computed versus the rest (dispatch, workflow tasks), which is
 * immune to load changing between runs.
 * Last line (with --json): {"temporalSeconds","inProcessSeconds","overheadFraction","activities"} where
 * overheadFraction = (temporal - inProcess) / temporal, the share of the durable run's wall time spent on
 * orchestration.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { runCampaign } from '../engine/runner';
import { disposeRuntimes } from '../engine/steps';
import { LocalArtifactStore } from '../store/local';
import { readCampaignSpecInput } from '../store/spec-file';
import { activityExecutions } from '../client/history';
import { startCampaign } from '../client/campaigns';
import { startDevServer } from '../workers/dev-server';
import { createPrefloopWorkers } from '../workers/run';
import { prefloopDataConverter } from '../workers/data-converter';
import type { CampaignSpecInput } from '../schemas/campaign';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const specFile = args.includes('--spec') ? args[args.indexOf('--spec') + 1] : undefined;
  const spec: CampaignSpecInput = specFile ? readCampaignSpecInput(specFile) as CampaignSpecInput : {};
  const log = (line: string) => { if (!json) console.log(line); else process.stderr.write(`${line}\n`); };
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), console: {} } },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-bench-'));

  const repeat = args.includes('--repeat') ? Number(args[args.indexOf('--repeat') + 1]) : 3;
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a positive integer');

  const t1 = Date.now();
  const server = await startDevServer({ dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'error' });
  const workers = await createPrefloopWorkers({ address: server.address, storeRoot: path.join(dir, 'temporal') });
  const running = workers.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter: prefloopDataConverter() });
  log(`one-off start (server, bundle, workers): ${((Date.now() - t1) / 1000).toFixed(2)} s`);
  try {
    const inProcessRuns: number[] = [];
    const temporalRuns: number[] = [];
    let activities = 0;
    for (let r = 0; r < repeat; r++) {
      const t0 = Date.now();
      const inProcess = await runCampaign(spec, { store: new LocalArtifactStore(path.join(dir, `in-process-${r}`)), campaign: 'bench' });
      inProcessRuns.push((Date.now() - t0) / 1000);
      await disposeRuntimes();

      // Like the in-process run, the durable one trains pi0: drop the shared pi0 cache a previous run left.
      fs.rmSync(path.join(dir, 'temporal', 'task-cache'), { recursive: true, force: true });
      const campaign = `bench-${r}`;
      const t2 = Date.now();
      const handle = await startCampaign(client, spec, { campaign });
      const durable = await handle.result();
      temporalRuns.push((Date.now() - t2) / 1000);
      await disposeRuntimes();
      log(`run ${r + 1}: in-process ${inProcessRuns[r].toFixed(2)} s, temporal ${temporalRuns[r].toFixed(2)} s`);
      if (durable.finalCheckpoint.sha256 !== inProcess.finalCheckpoint.sha256) {
        throw new Error(`final checkpoints differ: temporal ${durable.finalCheckpoint.sha256}, in-process ${inProcess.finalCheckpoint.sha256}`);
      }
      const executions = [];
      for await (const info of client.workflow.list({ query: `WorkflowId = '${campaign}' OR WorkflowId STARTS_WITH '${campaign}/'` })) {
        executions.push(...activityExecutions(await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory()));
      }
      activities = executions.length;
      const computing = executions.reduce((sum, a) => sum + ((a.closedAt ?? 0) - (a.startedAt ?? 0)), 0) / 1000;
      log(`  durable run ${r + 1}: activities computed ${computing.toFixed(2)} s of ${temporalRuns[r].toFixed(2)} s; ` +
        `dispatch and workflow tasks ${(temporalRuns[r] - computing).toFixed(2)} s (${(((temporalRuns[r] - computing) / temporalRuns[r]) * 100).toFixed(1)}%)`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const temporalSeconds = median(temporalRuns);
    const inProcessSeconds = median(inProcessRuns);
    const overheadFraction = median(temporalRuns.map((t, i) => (t - inProcessRuns[i]) / t));
    log(`overhead: ${(overheadFraction * 100).toFixed(1)}% of the durable run's wall time (median over ${repeat} pairs), ${activities} activities per campaign`);
    console.log(JSON.stringify({ temporalSeconds, inProcessSeconds, overheadFraction, activities }));
  } finally {
    await connection.close();
    await workers.shutdown();
    await running.catch(() => undefined);
    await server.stop();
    await disposeRuntimes();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
