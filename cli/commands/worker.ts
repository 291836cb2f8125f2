import * as path from 'node:path';
import type { Command } from 'commander';
import { action } from '../context';
import { addConnectionOptions, workerConnection } from '../connection';
import { stateDir } from '../local-server';
import { usageError } from '../errors';
import { quietTemporalRuntime } from '../runtime-logging';

/** `--slots 2` (inference and training, e.g. one per GPU) or `--slots inference=2,training=1,cpu=8`. */
export function parseSlotsOption(value: string | undefined): Record<string, number> {
  if (value === undefined) return {};
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n < 1) throw usageError(`--slots must be >= 1, got ${value}`);
    return { inference: n, training: n };
  }
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const m = /^(inference|training|cpu)=(\d+)$/.exec(part.trim());
    if (!m || Number(m[2]) < 1) throw usageError(`--slots entry "${part}" is not N or queue=N (queue: inference, training, cpu; N >= 1)`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

export function storeRoot(opt: unknown): string {
  return path.resolve(typeof opt === 'string' ? opt : process.env.PREFLOOP_STORE ?? path.join(stateDir(), 'store'));
}

export function registerWorker(program: Command): void {
  addConnectionOptions(program.command('worker'))
    .description('run a worker: executes campaign steps from the task queues until Ctrl-C (start one per host, or per GPU)')
    .option('--queues <list>', 'queues to serve: inference,training,cpu or all', 'all')
    .option('--slots <n|queue=n,...>', 'concurrent activities: N for inference and training (one per GPU), or per queue')
    .option('--store <dir>', 'artifact store root shared by all workers [env PREFLOOP_STORE, default .prefloop/store]')
    .option('--identity <name>', 'worker identity shown in the Temporal UI')
    .action(action(async (ctx) => {
      const { parseServe, createPrefloopWorkers } = await import('../../workers/run');
      let serve;
      try {
        serve = parseServe(ctx.opts.queues as string);
      } catch (e) {
        throw usageError(`--queues: ${(e as Error).message}`);
      }
      const slots = parseSlotsOption(ctx.opts.slots as string | undefined);
      const conn = ctx.connection();
      await quietTemporalRuntime();
      const workers = await createPrefloopWorkers({
        ...workerConnection(conn),
        storeRoot: storeRoot(ctx.opts.store),
        serve,
        slots,
        identity: ctx.opts.identity as string | undefined,
      });
      const stop = () => { void workers.shutdown(); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const running = workers.run();
      ctx.out.info(`prefloop worker on ${conn.address} (${conn.namespace}) serving ${workers.workers.map((w) => w.options.taskQueue).join(', ')}; store ${storeRoot(ctx.opts.store)}; Ctrl-C stops`);
      await running;
    }));
}
