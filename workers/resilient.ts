/**
 * Workers that ride out a Temporal server restart. The SDK's pollers retry a lost server by themselves, but
 * NativeConnection.connect fails at once when the server is down, a worker whose pollers give up fails for good, and
 * neither says plainly in the log that the server is gone. This supervisor connects with backoff, probes the server
 * while the workers run, logs one line when it becomes unreachable (and since when), a reminder each minute, one
 * when it is back, restarts workers that failed for want of the server, and gives up only after `giveUpAfterMs`
 * of unreachability (default: never).
 */
import * as net from 'node:net';
import { createPrefloopWorkers, type PrefloopWorkers, type WorkerSettings } from './run';

export interface SuperviseOptions {
  /** Give up (ServerUnreachableError) after the server has been unreachable this long; undefined: never. */
  giveUpAfterMs?: number;
  /** Where the supervisor's lines go (the CLI: stderr). */
  log: (line: string) => void;
  /** Called each time workers (re)start polling. */
  onPolling?: (workers: PrefloopWorkers) => void;
  /** How often the server is probed while the workers run (default 1 s), and the backoff bounds (1 s .. 30 s). */
  probeEveryMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class ServerUnreachableError extends Error {
  override readonly name = 'ServerUnreachableError';
}

export interface SupervisedWorkers {
  /** Resolves when stop() has stopped the workers; rejects with ServerUnreachableError after giveUpAfterMs, or any other fatal error. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

const UNREACHABLE = /Unavailable|tcp connect error|Connection refused|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|transport error|Failed to connect|failed to connect|DeadlineExceeded|Deadline Exceeded|connection reset|broken pipe|Connection dropped|error trying to connect/;
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE = 4;

/** True when `err` (or a cause) says the server could not be reached, rather than that it refused something. */
export function isUnreachable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE) return true;
    if (UNREACHABLE.test(String((e as Error).message ?? e))) return true;
  }
  return false;
}

/**
 * Whether a TCP connection to `address` (host:port, [v6]:port) opens within `timeoutMs`. The probe while workers run:
 * a gRPC call to a down server takes the SDK's retries (seconds) to fail, so a restart of a second or two would pass
 * unseen, while a refused or silent connect is seen at once.
 */
export function tcpReachable(address: string, timeoutMs: number): Promise<Error | undefined> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '') || 'localhost';
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (err?: Error) => {
      socket.destroy();
      resolve(err);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer from ${address} within ${timeoutMs} ms (DeadlineExceeded)`)));
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err));
  });
}

const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0].slice(0, 300);
const seconds = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`);

export function superviseWorkers(settings: WorkerSettings, options: SuperviseOptions): SupervisedWorkers {
  const { log } = options;
  const probeEvery = options.probeEveryMs ?? 1_000;
  const minBackoff = options.minBackoffMs ?? 1_000;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const giveUp = options.giveUpAfterMs === undefined ? 'retrying until it is back' : `giving up after ${seconds(options.giveUpAfterMs)}`;
  let stopping = false;
  let current: PrefloopWorkers | undefined;
  let wake: () => void = () => undefined;
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); resolve(); };
  });

  /** The current outage: when it began and when it was last reported. */
  let downSince: number | undefined;
  let remindedAt = 0;
  const markDown = (err: unknown): void => {
    const now = Date.now();
    if (downSince === undefined) {
      downSince = now;
      remindedAt = now;
      log(`Temporal server at ${settings.address} unreachable since ${new Date(now).toISOString()} (${firstLine(err)}); ${giveUp}`);
    } else if (now - remindedAt >= 60_000) {
      remindedAt = now;
      log(`Temporal server at ${settings.address} still unreachable, since ${new Date(downSince).toISOString()} (${seconds(now - downSince)})`);
    }
  };
  const markUp = (): void => {
    if (downSince === undefined) return;
    log(`Temporal server at ${settings.address} reachable again after ${seconds(Date.now() - downSince)}; polling`);
    downSince = undefined;
  };
  const gaveUp = (): boolean => options.giveUpAfterMs !== undefined && downSince !== undefined && Date.now() - downSince >= options.giveUpAfterMs;
  const unreachableFailure = () => new ServerUnreachableError(
    `the Temporal server at ${settings.address} has been unreachable since ${new Date(downSince ?? Date.now()).toISOString()}, longer than the ${seconds(options.giveUpAfterMs ?? 0)} allowed`);

  const done = (async () => {
    let backoff = minBackoff;
    while (!stopping) {
      let workers: PrefloopWorkers;
      try {
        workers = await createPrefloopWorkers(settings);
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        markDown(err);
        if (gaveUp()) throw unreachableFailure();
        const left = options.giveUpAfterMs === undefined ? backoff : options.giveUpAfterMs - (Date.now() - (downSince ?? Date.now()));
        await sleep(Math.max(10, Math.min(backoff, left)));
        backoff = Math.min(maxBackoff, backoff * 2);
        continue;
      }
      if (stopping) {
        await workers.shutdown();
        break;
      }
      current = workers;
      backoff = minBackoff;
      markUp();
      options.onPolling?.(workers);
      let abandoned = false;
      let probing = true;
      // One probe at a time: a call to a down server takes the SDK's own retries (seconds) to fail.
      const probe = (async () => {
        while (probing) {
          await new Promise((resolve) => setTimeout(resolve, probeEvery));
          if (!probing) break;
          const err = await tcpReachable(settings.address, Math.max(1_000, probeEvery));
          if (!probing) break;
          if (!err) {
            markUp();
            continue;
          }
          markDown(err);
          if (gaveUp() && !abandoned) {
            abandoned = true;
            void workers.shutdown();
          }
        }
      })();
      try {
        await workers.run();
      } catch (err) {
        if (stopping || !isUnreachable(err)) throw err;
        markDown(err);
        log(`workers stopped polling (${firstLine(err)}); starting new ones`);
      } finally {
        // Not awaited: a probe in flight to a down server can take seconds to fail, and must not delay a stop.
        probing = false;
        void probe;
        current = undefined;
      }
      if (abandoned) throw unreachableFailure();
    }
  })();

  return {
    done,
    async stop() {
      stopping = true;
      wake();
      await current?.shutdown();
      await done.catch(() => undefined);
    },
  };
}
