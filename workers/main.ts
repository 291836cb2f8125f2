/**
 * A worker process: `node -r @swc-node/register workers/main.ts --address 127.0.0.1:7233 --store DIR [--serve inference,cpu]
 * [--slots inference=1,training=1,cpu=4] [--bundle FILE] [--namespace default] [--identity NAME]`.
 * Stops gracefully on SIGINT/SIGTERM. `prefloop worker` is the same with nicer help.
 */
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { createPrefloopWorkers, parseServe, QUEUE_KINDS, type QueueKind } from './run';

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'; options are --name value`);
    const eq = arg.indexOf('=');
    if (eq > 0) out[arg.slice(2, eq)] = arg.slice(eq + 1);
    else out[arg.slice(2)] = argv[++i] ?? '';
  }
  return out;
}

export function parseSlots(value: string | undefined): Partial<Record<QueueKind, number>> {
  if (!value) return {};
  const out: Partial<Record<QueueKind, number>> = {};
  for (const part of value.split(',')) {
    const [kind, n] = part.split('=');
    const count = Number(n);
    if (!(QUEUE_KINDS as string[]).includes(kind) || !Number.isInteger(count) || count < 1) {
      throw new Error(`bad --slots entry '${part}'; write queue=count with queue one of ${QUEUE_KINDS.join(', ')} and count >= 1`);
    }
    out[kind as QueueKind] = count;
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!args.address || !args.store) throw new Error('--address HOST:PORT and --store DIR are required');
  const level = (process.env.PREFLOOP_WORKER_LOG ?? 'WARN') as 'WARN';
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level, other: 'ERROR' }), console: {} } },
  });
  const workers = await createPrefloopWorkers({
    address: args.address,
    namespace: args.namespace,
    storeRoot: args.store,
    serve: parseServe(args.serve),
    slots: parseSlots(args.slots),
    workflowBundle: args.bundle ? { codePath: args.bundle } : undefined,
    identity: args.identity,
  });
  const stop = () => { void workers.shutdown(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const running = workers.run();
  // Tells a parent process (tests, `prefloop demo`) that the workers are polling.
  process.send?.({ ready: true });
  console.log(`prefloop worker ready: ${workers.workers.map((w) => w.options.taskQueue).join(', ')}`);
  await running;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
