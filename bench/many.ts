/**
 * Many campaigns at once: N small campaigns (default 20) started together on W worker processes (default 2), each
 * process serving every queue with the default slots, against one dev server. Each campaign has its own seed, so
 * each trains its own pi0 and does its own work. Printed: one campaign alone on the same workers (its wall time,
 * after an untimed warm-up), then the N together: total wall time against N times the single one, each campaign's
 * own duration (start to result: the spread shows whether any starved), and what `prefloop list`'s visibility
 * query over the search attributes finds for them.
 *
 *   npm run bench:many -- [--json] [--campaigns 20] [--workers 2] [--iterations 2]
 *
 * Last line (with --json): {"campaigns","workers","iterations","singleSeconds","totalSeconds","ratioToSerial",
 * "campaignSecondsMedian","campaignSecondsMax","listed"} with ratioToSerial = total / (campaigns x single).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { listCampaigns, startCampaign } from '../client/campaigns';
import { prefloopDataConverter } from '../workers/data-converter';
import { startDevServer } from '../workers/dev-server';
import type { CampaignSpecInput } from '../schemas/campaign';

const REPO = path.resolve(__dirname, '..');

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** A small campaign: every step of online iterative DPO on a 4-token bandit with a one-layer model. */
function smallSpec(name: string, seed: number, iterations: number): CampaignSpecInput {
  return {
    name, seed, iterations,
    policy: { source: 'builtin', model: { dModel: 16, layers: 1, heads: 2, context: 16 } },
    task: { name: 'bandit', vocab: 4, promptLength: 2, responseLength: 3, trainPrompts: 32, evalPrompts: 4, sft: { steps: 10, batchSize: 8 } },
    sampling: { promptsPerIteration: 8, n: 4, shards: 2 },
    update: { epochs: 1, batchSize: 4, checkpointEvery: 2 },
    evaluation: { prompts: 4, samplesPerPrompt: 2 },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const campaigns = option(args, '--campaigns', 20);
  const workerCount = option(args, '--workers', 2);
  const iterations = option(args, '--iterations', 2);
  const log = (line: string) => { if (!json) console.log(line); else process.stderr.write(`${line}\n`); };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-bench-many-'));
  const server = await startDevServer({ dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'error' });
  const bundlePath = path.join(dir, 'workflows.js');
  fs.writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('ERROR') })).code);
  const children: ChildProcess[] = [];
  const connection = await Connection.connect({ address: server.address });
  try {
    for (let w = 0; w < workerCount; w++) {
      const child = fork(path.join(REPO, 'bin/prefloop.js'), [
        'worker', '--address', server.address, '--namespace', server.namespace, '--store', path.join(dir, 'store'), '--bundle', bundlePath, '--identity', `bench-${w}`,
      ], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`worker ${w} exited (${code}) before it was ready`)));
      });
    }
    const client = new Client({ connection, namespace: server.namespace, dataConverter: prefloopDataConverter() });
    const timed = async (name: string, seed: number) => {
      const t0 = Date.now();
      await (await startCampaign(client, smallSpec(name, seed, iterations))).result();
      return (Date.now() - t0) / 1000;
    };
    await timed('warm-up', 1000);
    const singleSeconds = await timed('single', 1001);
    log(`one campaign alone (${iterations} iterations) on ${workerCount} worker processes: ${singleSeconds.toFixed(2)} s`);

    const t0 = Date.now();
    const each = await Promise.all(Array.from({ length: campaigns }, (_, i) => timed(`many-${String(i).padStart(2, '0')}`, i)));
    const totalSeconds = (Date.now() - t0) / 1000;
    // The visibility store is eventually consistent: wait until the last status update is indexed.
    const query = `PrefloopCampaign STARTS_WITH 'many-' AND PrefloopStatus = 'completed' AND PrefloopIteration = ${iterations}`;
    let listed = 0;
    for (let tries = 0; tries < 50 && listed < campaigns; tries++) {
      listed = (await listCampaigns(client, query)).length;
      if (listed < campaigns) await new Promise((r) => setTimeout(r, 200));
    }
    const ratioToSerial = totalSeconds / (campaigns * singleSeconds);
    log(`${campaigns} campaigns at once: ${totalSeconds.toFixed(2)} s in all, against ${(campaigns * singleSeconds).toFixed(2)} s for ${campaigns} x one alone (ratio ${ratioToSerial.toFixed(2)})`);
    log(`each campaign, start to result: median ${median(each).toFixed(2)} s, min ${Math.min(...each).toFixed(2)} s, max ${Math.max(...each).toFixed(2)} s`);
    log(`prefloop list --query "${query}": ${listed} of ${campaigns}`);
    const result = {
      campaigns, workers: workerCount, iterations, singleSeconds, totalSeconds, ratioToSerial,
      campaignSecondsMedian: median(each), campaignSecondsMax: Math.max(...each), listed,
    };
    console.log(json ? JSON.stringify(result) : JSON.stringify(result));
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(undefined) : c.once('exit', resolve)))));
    await connection.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
