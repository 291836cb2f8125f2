/**
 * A long campaign at flat cost? Runs one campaign of the smallest useful spec (online iterative DPO on a 4-token
 * bandit, one-layer model, one sampling shard) for N iterations (default 1,000) on a real dev server with workers
 * in this process, then reads every run of it (continue-as-new) from Temporal and prints: each iteration's wall time
 * (its child workflow, start to close) as medians of the first and last 50, the state carried across continue-as-new
 * (the size of each run's input), the largest run history, and how long the audit takes: `auditCampaign` in this
 * process, and the `prefloop history` command as a user runs it (a new process, start-up and printing included).
 * A campaign that fails (or stops making progress for --stall seconds) is reported with the iteration it reached.
 *
 *   npm run bench:scale -- [--json] [--iterations 1000] [--stall 300] [--keep DIR]
 *
 * --keep DIR: the server's database and the store stay in DIR (new or empty) for later study, e.g. `prefloop history`
 * against `temporal server start-dev --db-filename DIR/temporal.sqlite` and `--store DIR/store`.
 *
 * Last line: {"iterations","firstMedianSeconds","lastMedianSeconds","ratio","carriedStateBytes":[first,last],
 * "historyEventsMax","runs","auditSeconds","historyCommandSeconds","auditedSteps","completed","error"?}
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { auditCampaign, campaignRunHistories } from '../client/audit';
import { startCampaign } from '../client/campaigns';
import { childExecutions } from '../client/history';
import { LocalArtifactStore } from '../store/local';
import { prefloopDataConverter } from '../workers/data-converter';
import { startDevServer } from '../workers/dev-server';
import { createPrefloopWorkers } from '../workers/run';
import type { CampaignSpecInput } from '../schemas/campaign';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);

function smallestSpec(iterations: number): CampaignSpecInput {
  return {
    name: 'scale', seed: 1, iterations,
    policy: { source: 'builtin', model: { dModel: 16, layers: 1, heads: 2, context: 8 } },
    task: { name: 'bandit', vocab: 4, promptLength: 2, responseLength: 2, trainPrompts: 16, evalPrompts: 4, featureDim: 4, sft: { steps: 20, batchSize: 8 } },
    sampling: { promptsPerIteration: 8, n: 4, shards: 1 },
    update: { epochs: 1, batchSize: 4 },
    evaluation: { prompts: 4, samplesPerPrompt: 2 },
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const iterations = option(args, '--iterations', 1000);
  const stallSeconds = option(args, '--stall', 300);
  const log = (line: string) => { if (!json) console.log(line); else process.stderr.write(`${line}\n`); };
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), console: {} } },
  });
  const keepAt = args.indexOf('--keep');
  const keep = keepAt >= 0 ? path.resolve(args[keepAt + 1] ?? '') : undefined;
  if (keep && fs.existsSync(keep) && fs.readdirSync(keep).length) throw new Error(`--keep ${keep}: the directory must be new or empty`);
  if (keep) fs.mkdirSync(keep, { recursive: true });
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-bench-scale-'));
  const server = await startDevServer({ dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'error' });
  const storeRoot = path.join(dir, 'store');
  const workers = await createPrefloopWorkers({ address: server.address, namespace: server.namespace, storeRoot });
  const running = workers.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace, dataConverter: prefloopDataConverter() });
  let error: string | undefined;
  try {
    const t0 = Date.now();
    const handle = await startCampaign(client, smallestSpec(iterations));
    // Progress every 50 iterations; a campaign stuck (a workflow task failing on every retry) is reported, not waited on.
    let last = { iteration: -1, at: Date.now() };
    const result = handle.result().then(() => undefined, (e: unknown) => { error = String((e as Error)?.cause ?? e); });
    for (let done = false; !done;) {
      done = await Promise.race([result.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
      const described = await handle.describe();
      const iteration = described.searchAttributes.PrefloopIteration?.[0] as number | undefined ?? 0;
      if (iteration !== last.iteration) {
        if (Math.floor(iteration / 50) !== Math.floor(last.iteration / 50)) log(`iteration ${iteration} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
        last = { iteration, at: Date.now() };
      } else if (!done && Date.now() - last.at > stallSeconds * 1000) {
        error = `no progress for ${stallSeconds} s after iteration ${iteration} (workflow status ${described.status.name})`;
        await handle.terminate('bench:scale stalled').catch(() => undefined);
        break;
      }
    }
    log(`campaign ${error ? `stopped: ${error}` : 'completed'} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    const runs = await campaignRunHistories(client, 'scale');
    const children = runs.flatMap((r) => childExecutions(r.history)).filter((c) => c.closedAt && c.startedAt);
    const seconds = children.map((c) => (c.closedAt! - c.startedAt!) / 1000);
    const inputBytes = runs.map((r) => r.history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data?.length ?? 0);
    const carried = inputBytes.slice(1);
    const historyEventsMax = Math.max(...runs.map((r) => r.history.events?.length ?? 0));
    const a0 = Date.now();
    const audit = await auditCampaign(client, new LocalArtifactStore(storeRoot), 'scale');
    const auditSeconds = (Date.now() - a0) / 1000;
    const firstMedianSeconds = median(seconds.slice(0, 50));
    const lastMedianSeconds = median(seconds.slice(-50));
    log(`${children.length} iterations in ${runs.length} run(s); iteration wall time median first 50 ${firstMedianSeconds.toFixed(3)} s, last 50 ${lastMedianSeconds.toFixed(3)} s`);
    log(`carried state (each continued run's input): ${carried.length ? `${carried[0]} B first, ${carried[carried.length - 1]} B last` : 'no continue-as-new'}; largest run history ${historyEventsMax} events`);
    log(`audit of ${audit.iterations.length} iterations: ${auditSeconds.toFixed(2)} s`);
    const auditedSteps = audit.iterations.reduce((n, it) => n + it.steps.length, 0);
    // The command as a user runs it: its own process and connection, every step printed (to a pipe, not a terminal).
    const h0 = Date.now();
    const history = spawnSync(process.execPath, [path.join(__dirname, '..', 'bin', 'prefloop.js'), 'history', 'scale', '--store', storeRoot], {
      env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace }, maxBuffer: 1 << 30, encoding: 'utf8',
    });
    const historyCommandSeconds = (Date.now() - h0) / 1000;
    if (history.status !== 0) throw new Error(`prefloop history exited ${history.status}: ${history.stderr}`);
    log(`prefloop history: ${historyCommandSeconds.toFixed(2)} s, ${history.stdout.split('\n').length} lines (${auditedSteps} steps audited)`);
    console.log(JSON.stringify({
      iterations: children.length, firstMedianSeconds, lastMedianSeconds, ratio: lastMedianSeconds / firstMedianSeconds,
      carriedStateBytes: carried.length ? [carried[0], carried[carried.length - 1]] : [], historyEventsMax, runs: runs.length, auditSeconds, historyCommandSeconds, auditedSteps,
      completed: !error, ...(error ? { error: error.slice(0, 500) } : {}),
    }));
  } finally {
    await workers.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    await server.stop();
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
