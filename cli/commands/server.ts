import type { Command } from 'commander';
import { action } from '../context';
import { startLocalServer, stateDir } from '../local-server';
import { usageError } from '../errors';
import { quietTemporalRuntime } from '../runtime-logging';

export function registerServer(program: Command): void {
  program.command('server')
    .description('run a local Temporal dev server alone, persisted under .prefloop/ (Ctrl-C stops it)')
    .option('--port <n>', 'gRPC port (0 = any free port)', '7233')
    .option('--ui-port <n>', 'web UI port', '8233')
    .option('--no-ui', 'do not serve the web UI')
    .option('--json', 'print {address, namespace, dbFile, ui} as JSON once ready')
    .action(action(async (ctx) => {
      const port = Number(ctx.opts.port);
      const uiPort = Number(ctx.opts.uiPort);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port must be a port number, got ${String(ctx.opts.port)}`);
      if (ctx.opts.ui !== false && (!Number.isInteger(uiPort) || uiPort <= 0 || uiPort > 65535)) throw usageError(`--ui-port must be a port number, got ${String(ctx.opts.uiPort)}`);
      await quietTemporalRuntime();
      const server = await startLocalServer({ port: port || undefined, uiPort: ctx.opts.ui === false ? undefined : uiPort });
      const ui = ctx.opts.ui === false ? null : `http://127.0.0.1:${uiPort}`;
      // A parent process (the demo) learns the address over IPC: the server's own banner shares our stdout.
      process.send?.({ ready: true, address: server.address, namespace: server.namespace });
      ctx.out.result({ address: server.address, namespace: server.namespace, dbFile: server.dbFile, ui, cli: server.cliSource }, () => [
        `Temporal dev server on ${server.address} (namespace ${server.namespace})`,
        `  history: ${server.dbFile} (state dir ${stateDir()})`,
        ui ? `  web UI:  ${ui}` : '  web UI:  off',
        `  use it:  export TEMPORAL_ADDRESS=${server.address}`,
        'Ctrl-C to stop.',
      ].join('\n'));
      await new Promise<void>((resolve) => {
        // The server runs in Temporal's native runtime, which does not keep Node's event loop alive by itself.
        const keepAlive = setInterval(() => undefined, 1 << 30);
        const done = () => {
          clearInterval(keepAlive);
          resolve();
        };
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await server.stop();
    }));
}
