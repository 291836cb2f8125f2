import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, REPO, cleanEnv } from './run-cli';

/** `prefloop worker` as a child process, resolved once it reports that it polls its queues. */
export async function startWorkerProcess(env: Record<string, string | undefined>, args: string[] = []): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'worker', ...args], { cwd: REPO, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready in time: ${log}`)), 60_000);
    const onData = (d: Buffer) => {
      log += d;
      if (/prefloop worker on .* serving/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready: ${log}`));
    });
  });
  return {
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
