/**
 * `prefloop worker` rides out its server: started while no server listens, it waits (saying since when) and starts
 * polling once one is up; when the server restarts under it mid-campaign, it says so, reconnects, and the campaign
 * completes; with --give-up-after it exits with code 4 once the server has been gone that long. A real dev server
 * and the real CLI, no mocks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startCampaign } from '../../client/campaigns';
import { summaryOf } from '../../client/summary';
import { LocalArtifactStore } from '../../store/local';
import { prefloopDataConverter } from '../../workers/data-converter';
import { startDevServer, type DevServer } from '../../workers/dev-server';
import { tinySpec } from '../support/specs';
import { BIN, REPO, cleanEnv, runCli } from './run-cli';

jest.setTimeout(150_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-worker-restart-'));
let server: DevServer | undefined;
let worker: ChildProcess | undefined;
let log = '';

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('close', resolve));
  }
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Resolves once the worker's log has matched `pattern` `times` times in all. */
async function logged(pattern: RegExp, times = 1, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  const global = new RegExp(pattern.source, 'g');
  while ((log.match(global)?.length ?? 0) < times) {
    if (Date.now() - started > timeoutMs) throw new Error(`worker log never matched ${pattern} ${times} time(s):\n${log}`);
    if (worker?.exitCode !== null) throw new Error(`worker exited (${worker?.exitCode}):\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a worker started before its server waits, then survives a server restart mid-campaign, and the campaign completes', async () => {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  worker = spawn(process.execPath, [BIN, 'worker', '--address', address, '--store', path.join(dir, 'store')], {
    cwd: REPO, env: cleanEnv({ TEMPORAL_ADDRESS: undefined }), stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (d) => { log += d; });
  worker.stderr!.on('data', (d) => { log += d; });

  await logged(new RegExp(`Temporal server at ${address} unreachable since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z .*; retrying until it is back`));
  server = await startDevServer({ port, dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'error' });
  await logged(/reachable again after \d+s; polling/);
  await logged(/prefloop worker on .* serving prefloop-inference, prefloop-training, prefloop-cpu/);

  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: server.namespace, dataConverter: prefloopDataConverter() });
    const handle = await startCampaign(client, tinySpec('rides-out', 'online-iterative-dpo', { iterations: 3 }));
    // Let the campaign get going, then take the server away under the running worker.
    const started = Date.now();
    while (!fs.existsSync(path.join(dir, 'store', 'rides-out', 'iter-1')) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 200));
    // Stopped and started again on the same port and history, as an operator restarts a server.
    await server.stop();
    await logged(/unreachable since/, 2);
    server = await startDevServer({ port, dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'error' });
    const summary = await summaryOf(handle, new LocalArtifactStore(path.join(dir, 'store')));
    expect(summary.iterations.map((it) => it.iteration)).toEqual([1, 2, 3]);
  } finally {
    await connection.close();
  }
  // The outage was reported with its start, and its end, and the worker never exited.
  expect(log.match(/unreachable since/g)?.length).toBeGreaterThanOrEqual(2);
  expect(log.match(/reachable again after/g)?.length).toBeGreaterThanOrEqual(2);
  expect(worker.exitCode).toBeNull();
  expect(log).not.toMatch(/retried \d+ times/);
});

test('--give-up-after: exit code 4, one line naming the address and since when; a bad duration is a usage error', async () => {
  const port = await freePort();
  const r = await runCli(['worker', '--address', `127.0.0.1:${port}`, '--store', path.join(dir, 'store2'), '--give-up-after', '2s'], { TEMPORAL_ADDRESS: undefined });
  expect(r.code).toBe(4);
  expect(r.stderr).toMatch(new RegExp(`the Temporal server at 127\\.0\\.0\\.1:${port} has been unreachable since \\d{4}-[\\d-]+T[\\d:.]+Z, longer than the 2s allowed`));
  const bad = await runCli(['worker', '--give-up-after', 'soon']);
  expect([bad.code, bad.stderr.trim()]).toEqual([2, 'prefloop worker: --give-up-after soon is not a duration like 30s, 10m, 2h or 1d']);
});
