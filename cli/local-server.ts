import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { DevServer } from '../workers/dev-server';
import { CliError } from './errors';
import { EXIT } from './exit-codes';

/** The project's local state: the dev server's SQLite file, the artifact store, demo pointers, reports. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.PREFLOOP_HOME ?? '.prefloop');
}

/** Start the local dev server with persistence under the state directory, in this process. */
export async function startLocalServer(opts: { port?: number; uiPort?: number } = {}): Promise<DevServer> {
  const { startDevServer } = await import('../workers/dev-server');
  return startDevServer({
    dbFile: path.join(stateDir(), 'temporal.sqlite'),
    port: opts.port,
    uiPort: opts.uiPort,
  });
}

export interface ChildServer {
  address: string;
  namespace: string;
  stop(): Promise<void>;
}

/**
 * Run `prefloop server` as a child process and wait until it is ready. The Temporal CLI prints its banner on
 * the stdout it inherits; in a child, that stdout is a pipe we keep, so the demo's own output stays clean.
 */
export function spawnLocalServer(): Promise<ChildServer> {
  const bin = path.join(__dirname, '..', 'bin', 'prefloop.js');
  const child: ChildProcess = spawn(process.execPath, [bin, 'server', '--port', '0', '--no-ui'], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: process.env,
  });
  let log = '';
  child.stdout?.on('data', (d) => { log += d; });
  child.stderr?.on('data', (d) => { log += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('message', (m: { ready?: boolean; address?: string; namespace?: string }) => {
      if (!m?.ready || !m.address) return;
      resolve({
        address: m.address,
        namespace: m.namespace ?? 'default',
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => {
      const last = log.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
      reject(new CliError(`the local Temporal dev server did not start (exit ${code}): ${last}`, EXIT.failure));
    });
  });
}
