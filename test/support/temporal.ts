/**
 * The test harness for a real Temporal server: one dev server (SQLite file, free port) and one workflow bundle per
 * test file; workers in this process or as child processes (to be SIGKILLed); a client; teardown that leaves no
 * handle open. Nothing here is a mock: tests that need Temporal use this.
 *
 *   let temporal: TemporalHarness;
 *   beforeAll(async () => { temporal = await startTemporalHarness(); });
 *   afterAll(() => temporal?.teardown());
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../workers/dev-server';
import { prefloopDataConverter } from '../../workers/data-converter';
import { createPrefloopWorkers, type PrefloopWorkers, type WorkerSettings } from '../../workers/run';
import { summaryOf } from '../../client/summary';
import type { CampaignSummary } from '../../schemas/results';
import { LocalArtifactStore } from '../../store/local';
import type { ArtifactStore } from '../../store/types';

const REPO = path.resolve(__dirname, '../..');

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      // Expected noise (a completion racing a failed iteration, a killed worker's tasks) stays out of test output.
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), console: {} } },
    });
  } catch {
    // Already installed by an earlier test file in this jest worker.
  }
}

export interface ChildWorker {
  readonly process: ChildProcess;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** stdout + stderr so far, for failure messages. */
  output(): string;
}

export interface TemporalHarness {
  readonly server: DevServer;
  readonly connection: Connection;
  readonly client: Client;
  readonly workflowBundle: { code: string };
  /** The bundle written to a file, for child worker processes. */
  readonly bundlePath: string;
  /** A fresh directory per test file; the artifact store lives under it unless a test picks another. */
  readonly dir: string;
  readonly storeRoot: string;
  /** Workers in this process, running; stopped by teardown. */
  startWorkers(settings?: Partial<WorkerSettings>): Promise<PrefloopWorkers>;
  /** A worker process (`prefloop worker`) serving every queue; resolves once it polls. */
  spawnWorker(args?: { serve?: string; identity?: string; storeRoot?: string; env?: NodeJS.ProcessEnv }): Promise<ChildWorker>;
  /** A campaign's result with every iteration's record (client/summary.ts), read from `store` (default: storeRoot's). */
  summary(handle: Pick<WorkflowHandle, 'result'>, store?: ArtifactStore): Promise<CampaignSummary>;
  /** Every workflow execution's history in the namespace (for replay and payload checks). */
  histories(query?: string): Promise<Array<{ workflowId: string; history: History }>>;
  teardown(): Promise<void>;
}

export async function startTemporalHarness(options: { dynamicConfig?: Record<string, unknown> } = {}): Promise<TemporalHarness> {
  quietRuntime();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-it-'));
  const storeRoot = path.join(dir, 'store');
  fs.mkdirSync(storeRoot, { recursive: true });
  const [server, workflowBundle] = await Promise.all([
    startDevServer({ dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'error', dynamicConfig: options.dynamicConfig }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('ERROR') }),
  ]);
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, workflowBundle.code);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace, dataConverter: prefloopDataConverter() });

  const inProcess: PrefloopWorkers[] = [];
  const children: ChildWorker[] = [];

  const harness: TemporalHarness = {
    server, connection, client, workflowBundle, bundlePath, dir, storeRoot,

    async startWorkers(settings = {}) {
      const workers = await createPrefloopWorkers({
        address: server.address, namespace: server.namespace, storeRoot, workflowBundle, shutdownGraceTime: '1s', ...settings,
      });
      inProcess.push(workers);
      void workers.run().catch(() => undefined);
      return workers;
    },

    async spawnWorker(args = {}) {
      const child = fork(path.join(REPO, 'bin/prefloop.js'), [
        'worker', '--address', server.address, '--namespace', server.namespace, '--store', args.storeRoot ?? storeRoot,
        '--bundle', bundlePath, '--queues', args.serve ?? 'all', '--identity', args.identity ?? `child-${children.length}`,
      ], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...args.env } });
      let log = '';
      child.stdout?.on('data', (d) => { log += d; });
      child.stderr?.on('data', (d) => { log += d; });
      const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker process not ready after 60 s:\n${log}`)), 60_000);
        child.once('message', () => { clearTimeout(timer); resolve(); });
        void exited.then((how) => { clearTimeout(timer); reject(new Error(`worker process exited (${how}) before it was ready:\n${log}`)); });
      });
      const handle: ChildWorker = {
        process: child,
        exited,
        output: () => log,
        async kill(signal = 'SIGKILL') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
      };
      children.push(handle);
      return handle;
    },

    summary(handle, store) {
      return summaryOf(handle, store ?? new LocalArtifactStore(storeRoot));
    },

    async histories(query) {
      const out: Array<{ workflowId: string; history: History }> = [];
      const seen: WorkflowExecutionInfo[] = [];
      for await (const info of client.workflow.list({ query })) seen.push(info);
      for (const info of seen) {
        const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
        out.push({ workflowId: info.workflowId, history });
      }
      return out;
    },

    async teardown() {
      await Promise.all(children.map((c) => c.kill('SIGKILL')));
      await Promise.all(inProcess.map((w) => w.shutdown()));
      await connection.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
