import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { CampaignSummary } from '../../schemas/results';
import { action, type ActionContext } from '../context';
import { addConnectionOptions, connectClient, workerConnection, type ResolvedConnection } from '../connection';
import { spawnLocalServer, stateDir, type ChildServer } from '../local-server';
import { collect } from '../spec-input';
import { DEMO_ITERATIONS, demoCampaignId, demoSpec } from '../demo-spec';
import { bumpDemoGeneration, demoGeneration } from '../demo-state';
import { campaignHandle, startCampaign } from '../../client/campaigns';
import { summaryOf } from '../../client/summary';
import { openStore } from '../../store/open';
import { watchCampaign } from '../watch';
import { formatIterationTable } from '../iteration-table';
import { writeCampaignReport } from '../campaign-report';
import { storeRoot } from './worker';
import { CliError, usageError } from '../errors';
import { EXIT } from '../exit-codes';
import { quietTemporalRuntime } from '../runtime-logging';

export function registerDemo(program: Command): void {
  addConnectionOptions(program.command('demo'))
    .description('run the built-in campaign (online iterative DPO on the bandit task) end to end: local server, worker, table, report')
    .option('--iterations <n>', 'iterations of the demo campaign', String(DEMO_ITERATIONS))
    .option('--set <path=value>', 'override a field of the demo spec (repeatable)', collect, [])
    .option('--fresh', 'start a new campaign instead of resuming or reusing the last one')
    .option('--out <file>', 'report path (default .prefloop/reports/<campaign>.html)')
    .option('--json', 'print {campaign, summary, report} as JSON')
    .addHelpText('after', `
Without TEMPORAL_ADDRESS (or --address / a profile), the demo starts a local Temporal dev server whose history
lives in .prefloop/temporal.sqlite, and a worker in this process. Rerunning resumes the campaign where it
stopped (or shows its result if it finished); --fresh starts over.`)
    .action(action(runDemo));
}

async function runDemo(ctx: ActionContext): Promise<number> {
  const iterations = Number(ctx.opts.iterations);
  if (!Number.isInteger(iterations) || iterations < 1) throw usageError(`--iterations must be a positive integer, got ${String(ctx.opts.iterations)}`);
  const spec = demoSpec(iterations, ctx.opts.set as string[]);
  const specKey = demoCampaignId(spec, 0);
  const generation = ctx.opts.fresh ? bumpDemoGeneration(specKey) : demoGeneration(specKey);
  const campaign = demoCampaignId(spec, generation);

  let conn: ResolvedConnection = ctx.connection();
  await quietTemporalRuntime();
  let server: ChildServer | undefined;
  if (conn.addressIsDefault) {
    ctx.out.info(`starting a local Temporal dev server (history in ${stateDir()}/temporal.sqlite) ...`);
    server = await spawnLocalServer();
    conn = { ...conn, address: server.address, connectionOptions: { ...conn.connectionOptions, address: server.address } };
  }
  const { client, connection } = await connectClient(conn);
  const store = storeRoot(undefined);
  let workers: { run(): Promise<void>; shutdown(): Promise<void> } | undefined;
  let stopping = false;
  const watch = new AbortController();
  let watching: Promise<CampaignSummary> | undefined;
  const interrupted = () => {
    stopping = true;
    void workers?.shutdown();
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const handle = campaignHandle(client, campaign);
    const existing = await handle.describe().catch((e: Error) => {
      if (e.name === 'WorkflowNotFoundError') return undefined;
      throw e;
    });
    let summary: CampaignSummary;
    /** What this run did: started a new campaign, resumed a running one, or reused a completed one. */
    let outcome: 'started' | 'resumed' | 'reused' = 'started';
    if (existing?.status.name === 'COMPLETED') {
      outcome = 'reused';
      ctx.out.info(`campaign ${campaign} already completed; showing its result (--fresh starts over)`);
      summary = await summaryOf(handle, openStore(store));
    } else {
      workers = await startInProcessWorkers(conn, store);
      const workersRunning = workers.run();
      if (existing?.status.name === 'RUNNING') {
        outcome = 'resumed';
        ctx.out.info(`resuming campaign ${campaign} where it stopped`);
      } else {
        if (existing) ctx.out.info(`campaign ${campaign} ended ${existing.status.name.toLowerCase()}; starting it again (finished steps are reused)`);
        await startCampaign(client, spec, { campaign, reuse: 'failed-only' });
        ctx.out.info(`started campaign ${campaign}: ${spec.algorithm} on ${spec.task.name}, ${spec.iterations} iteration(s)`);
      }
      watching = watchCampaign(client, handle, openStore(store), { quiet: ctx.out.json, signal: watch.signal });
      summary = await Promise.race([
        watching,
        // A worker that dies must end the demo with its error, not leave it waiting forever.
        workersRunning.then(() => {
          throw stopping
            ? new CliError(`interrupted; campaign ${campaign} stays open in ${stateDir()}: run \`prefloop demo\` again (same options) to resume it`, EXIT.failure)
            : new Error('the in-process worker stopped before the campaign finished');
        }),
      ]);
    }
    const report = await writeCampaignReport(client as Client, [campaign], { storeRoot: store, out: ctx.opts.out as string | undefined, title: `prefloop demo: ${campaign}` });
    for (const m of report.missing) ctx.out.info(`note: ${m}`);
    ctx.out.result({ campaign, outcome, summary, report: report.path }, () => [
      `campaign ${campaign} (${summary.algorithm}), best iteration ${summary.bestIteration}:`,
      formatIterationTable(summary),
      `report: ${report.path}`,
    ].join('\n'));
    return 0;
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    await workers?.shutdown();
    // The watch's calls must settle before the connection closes (see watchCampaign).
    watch.abort();
    await watching?.catch(() => undefined);
    await connection.close().catch(() => undefined);
    await server?.stop();
  }
}

async function startInProcessWorkers(conn: ResolvedConnection, store: string) {
  const { createPrefloopWorkers } = await import('../../workers/run');
  return createPrefloopWorkers({ ...workerConnection(conn), storeRoot: store, identity: `prefloop-demo-${process.pid}` });
}
