/**
 * Orchestration overhead: the default campaign (every spec default) as a durable Temporal campaign versus the
 * in-process runner (engine/runner), in one process on the same machine, each run with a fresh store (both train
 * pi0: the durable side's shared pi0 cache is dropped before each run).
 *
 *   npm run bench:orchestration -- [--json] [--spec FILE] [--repeat N] [--compute worker-thread|inline]
 *
 * What is timed: for the durable side, starting the workflow to its result; for the in-process side, runCampaign.
 * What is not: the one-off start (dev server, workflow bundle, workers) and one untimed warm-up campaign on each
 * side. The warm-up gives both sides the same warm process: module loading and JIT, and each side's cache of policy
 * runtimes (engine/runtime/policy-runtimes.ts), which both keep across runs as a long-lived worker or a CLI process
 * running several campaigns would. Without it the durable side alone pays the start of its compute thread
 * (~0.3 s) in every run, while the in-process side's inline runtime costs ~40 ms to build.
 *
 * Compute placement: the in-process runner computes inline (on its own thread: nothing else needs the event loop).
 * The workers compute where `--compute` says, default 'worker-thread', the production default: a Temporal worker
 * must keep heartbeating and see cancellation while ORT computes (DESIGN.md rule 3). That placement costs a message
 * round trip per runtime call (weights stay resident on the thread, engine/runtime/resident-weights.ts; a training
 * step's state travels in shared memory, engine/runtime/policy-thread.ts), so it is part of the overhead;
 * `--compute inline` measures the orchestration alone.
 *
 * Each side runs N times (default 7), alternating, so each durable run has an in-process twin measured right
 * before it under the same machine load; the figures are medians over the pairs. Also printed (not in the JSON),
 * from each durable run's histories: the time on the critical path in activities (start to close, the union over
 * parallel ones) versus the gaps between them (dispatch: schedule-to-start; workflow tasks; child workflow starts,
 * mostly hidden behind the previous iteration's evaluation), which is immune to load changing between runs, and
 * the median of each kind of gap over the runs (`setup>evaluate`: from the setup step's close to pi0's evaluation's
 * start; `start`: from starting the workflow to its first step; `end`: from the last step's close to the result).
 * Time in activities includes Temporal's delivery of each task to the step function and of its result back, which
 * the bench also prints: the workers' step functions are timed (wrapped, see timedSteps), and each one's start and
 * end are set against its activity's ActivityTaskStarted and ActivityTaskCompleted. Gaps plus delivery is the
 * orchestration's share measured without the in-process twin, so without the run-to-run noise of the compute.
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
import { activityExecutions, type ActivityExecution } from '../client/history';
import { COMPUTE_PLACEMENTS, type ComputePlacement } from '../engine/runtime/compute-placement';
import { startCampaign } from '../client/campaigns';
import { summaryOf } from '../client/summary';
import { startDevServer } from '../workers/dev-server';
import { createPrefloopWorkers } from '../workers/run';
import { prefloopDataConverter } from '../workers/data-converter';
import type { CampaignSpecInput } from '../schemas/campaign';
import type { StepFunctions } from '../activities/step-functions';
import type { StepContext } from '../engine/steps/types';
import { engineSteps } from '../workers/engine-steps';

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

  const repeat = args.includes('--repeat') ? Number(args[args.indexOf('--repeat') + 1]) : 7;
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a positive integer');
  const compute = (args.includes('--compute') ? args[args.indexOf('--compute') + 1] : 'worker-thread') as ComputePlacement;
  if (!COMPUTE_PLACEMENTS.includes(compute)) throw new Error(`--compute must be one of ${COMPUTE_PLACEMENTS.join(', ')}, got '${compute}'`);

  const t1 = Date.now();
  const server = await startDevServer({ dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'error' });
  const stepTimes = new Map<string, StepTime>();
  // Timed steps take the place of the default ones, so the workers start no compute thread ahead of need: the
  // warm-up campaign starts it.
  const workers = await createPrefloopWorkers({ address: server.address, storeRoot: path.join(dir, 'temporal'), compute, steps: timedSteps(engineSteps(), stepTimes) });
  const running = workers.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter: prefloopDataConverter() });
  log(`one-off start (server, bundle, workers): ${((Date.now() - t1) / 1000).toFixed(2)} s`);
  const inProcessRun = async (name: string) => {
    const t0 = Date.now();
    const summary = await runCampaign(spec, { store: new LocalArtifactStore(path.join(dir, name)), campaign: 'bench' });
    return { seconds: (Date.now() - t0) / 1000, summary };
  };
  const temporalRun = async (campaign: string) => {
    // Like the in-process run, the durable one trains pi0: drop the shared pi0 cache a previous run left.
    fs.rmSync(path.join(dir, 'temporal', 'task-cache'), { recursive: true, force: true });
    const t0 = Date.now();
    const summary = await summaryOf(await startCampaign(client, spec, { campaign }), new LocalArtifactStore(path.join(dir, 'temporal')));
    return { seconds: (Date.now() - t0) / 1000, summary, started: t0 };
  };
  try {
    const t3 = Date.now();
    await inProcessRun('in-process-warm-up');
    await temporalRun('bench-warm-up');
    log(`warm-up (one untimed campaign on each side): ${((Date.now() - t3) / 1000).toFixed(2)} s; compute placement in the workers: ${compute}`);
    const inProcessRuns: number[] = [];
    const temporalRuns: number[] = [];
    const gapRuns: number[] = [];
    const gapsByKind: Record<string, number[]> = {};
    const deliveryRuns: number[] = [];
    const orchestrationRuns: number[] = [];
    const deliveryIn: number[] = [];
    const deliveryOut: number[] = [];
    let activities = 0;
    for (let r = 0; r < repeat; r++) {
      const inProcess = await inProcessRun(`in-process-${r}`);
      inProcessRuns.push(inProcess.seconds);
      const campaign = `bench-${r}`;
      const durable = await temporalRun(campaign);
      temporalRuns.push(durable.seconds);
      log(`run ${r + 1}: in-process ${inProcess.seconds.toFixed(2)} s, temporal ${durable.seconds.toFixed(2)} s`);
      if (durable.summary.finalCheckpoint.sha256 !== inProcess.summary.finalCheckpoint.sha256) {
        throw new Error(`final checkpoints differ: temporal ${durable.summary.finalCheckpoint.sha256}, in-process ${inProcess.summary.finalCheckpoint.sha256}`);
      }
      const executions: ActivityExecution[] = [];
      for await (const info of client.workflow.list({ query: `WorkflowId = '${campaign}' OR WorkflowId STARTS_WITH '${campaign}/'` })) {
        executions.push(...activityExecutions(await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory()));
      }
      activities = executions.length;
      const path_ = criticalPath(executions, durable.started, durable.started + durable.seconds * 1000);
      gapRuns.push(path_.gaps / 1000);
      const handOver = delivery(executions, stepTimes);
      deliveryRuns.push(handOver.seconds);
      orchestrationRuns.push((path_.gaps / 1000 + handOver.seconds) / durable.seconds);
      deliveryIn.push(...handOver.inMs);
      deliveryOut.push(...handOver.outMs);
      for (const [kind, ms] of path_.gapList) (gapsByKind[kind] ??= []).push(ms);
      log(`  durable run ${r + 1}: in activities ${(path_.busy / 1000).toFixed(2)} s of ${durable.seconds.toFixed(2)} s ` +
        `(${Object.entries(path_.byType).map(([type, ms]) => `${type} ${(ms / 1000).toFixed(2)}`).join(', ')}); ` +
        `between activities ${(path_.gaps / 1000).toFixed(2)} s (${((path_.gaps / 1000 / durable.seconds) * 100).toFixed(1)}%), ` +
        `of which schedule-to-start ${(path_.scheduleToStart / 1000).toFixed(2)} s`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const temporalSeconds = median(temporalRuns);
    const inProcessSeconds = median(inProcessRuns);
    const overheadFraction = median(temporalRuns.map((t, i) => (t - inProcessRuns[i]) / t));
    log(`overhead: ${(overheadFraction * 100).toFixed(1)}% of the durable run's wall time (median over ${repeat} pairs), ${activities} activities per campaign; ` +
      `median time between activities ${median(gapRuns).toFixed(2)} s`);
    log(`gaps by kind (median ms, count per campaign): ${Object.entries(gapsByKind)
      .map(([kind, ms]) => `${kind} ${median(ms)} x${ms.length / repeat}`).join(', ')}`);
    log(`delivery (ActivityTaskStarted to the step function, its return to ActivityTaskCompleted): ${median(deliveryRuns).toFixed(2)} s ` +
      `per campaign, median per activity ${median(deliveryIn)} ms in and ${median(deliveryOut)} ms out; ` +
      `between activities plus delivery: ${(median(orchestrationRuns) * 100).toFixed(1)}% of the durable run's wall time`);
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

/**
 * The durable run's wall time split into time in activities (the union of their start-to-close intervals, so
 * parallel shards count once) and the gaps between them, with the part of the gaps that activities waited in
 * their task queue (schedule-to-start of the activity that ended each gap), and each gap named by the steps on
 * either side of it.
 */
function criticalPath(executions: ActivityExecution[], from: number, to: number) {
  const runs = executions.filter((a) => a.startedAt !== undefined && a.closedAt !== undefined).sort((a, b) => a.startedAt! - b.startedAt!);
  let busy = 0;
  let gaps = 0;
  let scheduleToStart = 0;
  let end = from;
  let last = 'start';
  const byType: Record<string, number> = {};
  const gapList: Array<[string, number]> = [];
  for (const a of runs) {
    if (a.startedAt! > end) {
      gaps += a.startedAt! - end;
      scheduleToStart += a.startedAt! - Math.max(end, a.scheduledAt ?? a.startedAt!);
      gapList.push([last === 'start' ? 'start' : `${last}>${a.activityType}`, a.startedAt! - end]);
    }
    const added = Math.max(0, a.closedAt! - Math.max(a.startedAt!, end));
    busy += added;
    byType[a.activityType] = (byType[a.activityType] ?? 0) + added;
    if (a.closedAt! > end) {
      end = a.closedAt!;
      last = a.activityType;
    }
  }
  gaps += Math.max(0, to - end);
  gapList.push(['end', Math.max(0, to - end)]);
  return { busy, gaps, scheduleToStart, byType, gapList };
}

/** When a step function ran in a worker, by the activity it ran for (see stepKey). */
interface StepTime { start: number; end: number }

/** One activity's step: its type, iteration and, for sampling, sampler and shard (what tells shards apart). */
function stepKey(type: string, campaign: string, iteration: number, input: unknown): string {
  const { sampler, shard } = (input ?? {}) as { sampler?: number; shard?: number };
  return `${campaign}/${iteration}/${type}/${sampler ?? ''}/${shard ?? ''}`;
}

/** The default steps, each recording when it ran (the last attempt's times win). */
function timedSteps(steps: StepFunctions, times: Map<string, StepTime>): StepFunctions {
  const timed = <I>(type: string, step: (ctx: StepContext, input: I) => Promise<unknown>) => async (ctx: StepContext, input: I) => {
    const start = Date.now();
    try {
      return await step(ctx, input);
    } finally {
      times.set(stepKey(type, ctx.campaign, ctx.iteration, input), { start, end: Date.now() });
    }
  };
  return {
    ...steps,
    setup: timed('setup', (ctx) => steps.setup(ctx)) as StepFunctions['setup'],
    sampleShard: timed('sampleShard', steps.sampleShard) as StepFunctions['sampleShard'],
    rank: timed('rank', steps.rank) as StepFunctions['rank'],
    filter: timed('filter', steps.filter) as StepFunctions['filter'],
    update: timed('update', steps.update) as StepFunctions['update'],
    evaluate: timed('evaluate', steps.evaluate) as StepFunctions['evaluate'],
  };
}

/**
 * Temporal's delivery around each step: from ActivityTaskStarted to the step function's start (the task reaching
 * the worker and the activity; the activity's own validation and prelude, ~1 ms) and from the step's end to
 * ActivityTaskCompleted (the result reaching the server).
 */
function delivery(executions: ActivityExecution[], times: Map<string, StepTime>) {
  const inMs: number[] = [];
  const outMs: number[] = [];
  for (const a of executions) {
    const envelope = a.input as { campaign: string; iteration: number; input?: unknown };
    const time = times.get(stepKey(a.activityType, envelope.campaign, envelope.iteration, envelope.input));
    if (!time || a.startedAt === undefined || a.closedAt === undefined) throw new Error(`no step timing for ${a.activityType} ${a.activityId}`);
    inMs.push(time.start - a.startedAt);
    outMs.push(a.closedAt - time.end);
  }
  const seconds = [...inMs, ...outMs].reduce((sum, ms) => sum + ms, 0) / 1000;
  return { seconds, inMs, outMs };
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
