import * as path from 'node:path';
import type { Command } from 'commander';
import { action } from '../context';
import { addConnectionOptions, workerConnection } from '../connection';
import { stateDir } from '../local-server';
import { unreachableError, usageError } from '../errors';
import { quietTemporalRuntime } from '../runtime-logging';

/** `30s`, `10m`, `2h`, `1d` in milliseconds; undefined when the option is absent. */
export function parseDurationOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) throw usageError(`${flag} ${value} is not a duration like 30s, 10m, 2h or 1d`);
  return Number(m[1]) * { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as 'ms'];
}

export function storeRoot(opt: unknown): string {
  const location = typeof opt === 'string' ? opt : process.env.PREFLOOP_STORE ?? path.join(stateDir(), 'store');
  // s3://bucket/prefix is a location, not a path (store/open.ts).
  return /^s3:\/\//i.test(location) ? location : path.resolve(location);
}

export function registerWorker(program: Command): void {
  addConnectionOptions(program.command('worker'))
    .description('run a worker: executes campaign steps from the task queues until Ctrl-C (start one per host, or per GPU)')
    .option('--queues <list>', 'queues to serve: inference,training,cpu or all', 'all')
    .option('--slots <n|queue=n,...>', 'concurrent activities: N for inference and training (one per GPU), or per queue')
    .option('--store <dir|s3://bucket/prefix>', 'artifact store shared by all workers [env PREFLOOP_STORE, default .prefloop/store]')
    .option('--identity <name>', 'worker identity shown in the Temporal UI')
    .option('--give-up-after <duration>', 'exit (code 4) once the server has been unreachable this long, e.g. 10m or 2h [default: never; the worker waits and reconnects]')
    .option('--bundle <file>', 'a prebuilt workflow bundle (bundleWorkflowCode\'s code) instead of bundling prefloop\'s workflows at start')
    .action(action(async (ctx) => {
      const { parseServe, parseSlots } = await import('../../workers/run');
      const { superviseWorkers, ServerUnreachableError } = await import('../../workers/resilient');
      const usage = <T>(flag: string, parse: () => T): T => {
        try {
          return parse();
        } catch (e) {
          throw usageError(`${flag}: ${(e as Error).message}`);
        }
      };
      const serve = usage('--queues', () => parseServe(ctx.opts.queues as string));
      const slots = usage('--slots', () => parseSlots(ctx.opts.slots as string | undefined));
      const giveUpAfterMs = parseDurationOption('--give-up-after', ctx.opts.giveUpAfter as string | undefined);
      const conn = ctx.connection();
      await quietTemporalRuntime();
      const store = storeRoot(ctx.opts.store);
      const supervised = superviseWorkers({
        ...workerConnection(conn),
        storeRoot: store,
        serve,
        slots,
        identity: ctx.opts.identity as string | undefined,
        workflowBundle: ctx.opts.bundle ? { codePath: path.resolve(ctx.opts.bundle as string) } : undefined,
      }, {
        giveUpAfterMs,
        log: (line) => ctx.out.info(`prefloop worker: ${line}`),
        onPolling: (workers) => {
          ctx.out.info(`prefloop worker on ${conn.address} (${conn.namespace}) serving ${workers.workers.map((w) => w.options.taskQueue).join(', ')}; store ${store}; Ctrl-C stops`);
          // Tells a parent process that forked this one (the test harness, benchmarks) that the workers poll.
          process.send?.({ ready: true });
        },
      });
      const stop = () => { void supervised.stop(); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await supervised.done;
      } catch (e) {
        if (e instanceof ServerUnreachableError) throw unreachableError(e.message);
        throw e;
      }
    }));
}
