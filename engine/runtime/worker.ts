/**
 * Long compute off the main event loop. ONNX Runtime's Node binding runs a session synchronously, so a
 * training step on the main thread would stall Temporal heartbeats and cancellation. hostInWorker() builds an
 * object (e.g. a PolicyRuntime) inside a worker_threads Worker from a factory export and returns an async
 * proxy of its methods.
 *
 * Arguments are structured-cloned (copied), so the caller's arrays stay usable, unless the call goes through
 * `remote.moving(buffers)`: those buffers are then moved to the worker (no copy; the caller's views of them become
 * empty), as a caller that hands data over (a training state, TrainCallOptions.consume) wants. Results are
 * transferred (moved, no copy) by default: a method's result is, by convention, a fresh value the worker keeps no
 * reference to. Pass { transferResults: false } when a hosted object returns arrays it keeps.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import { fromWire, type WireError, type HostReply, type HostRequest } from './workerProtocol';

type Promisified<F> = F extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never;

type Methods<T> = {
  [K in keyof T as T[K] extends (...a: never[]) => unknown ? K : never]: Promisified<T[K]>;
};

export type Remote<T> = Methods<T> & {
  /** Stops the worker; pending calls reject. Safe to call twice. */
  terminate(): Promise<void>;
  /**
   * The same methods, except that a call made through them moves `transfer` (ArrayBuffers under its arguments) to
   * the worker instead of copying it. A buffer that cannot be moved (Node's pooled small Buffers) is copied.
   */
  moving(transfer: ArrayBuffer[]): Methods<T>;
};

export interface HostOptions {
  /** Move result buffers instead of copying them (default true). */
  transferResults?: boolean;
  /** Extra resource limits for the worker (e.g. maxOldGenerationSizeMb). */
  resourceLimits?: ConstructorParameters<typeof Worker>[1] extends infer O ? (O extends { resourceLimits?: infer L } ? L : never) : never;
}

function hostScript(): { file: string; execArgv: string[] } {
  const ts = path.join(__dirname, 'workerHost.ts');
  const js = path.join(__dirname, 'workerHost.js');
  // Source and test runs load TypeScript through swc inside the worker; a compiled build has the .js beside us.
  if (__filename.endsWith('.ts')) return { file: ts, execArgv: ['-r', require.resolve('@swc-node/register')] };
  return { file: js, execArgv: [] };
}

/** Host `require(modulePath)[exportName](...args)` (sync or async factory) in a worker; see the file comment. */
export async function hostInWorker<T extends object>(
  modulePath: string,
  exportName: string,
  args: unknown[] = [],
  options: HostOptions = {},
): Promise<Remote<T>> {
  if (!path.isAbsolute(modulePath)) throw new Error(`hostInWorker: modulePath must be absolute, got '${modulePath}' (use path.join(__dirname, ...))`);
  const { file, execArgv } = hostScript();
  const worker = new Worker(`require(${JSON.stringify(file)});`, {
    eval: true,
    execArgv,
    workerData: { modulePath, exportName, args, transferResults: options.transferResults !== false },
    resourceLimits: options.resourceLimits,
    // The hosted object's console output is the caller's console output.
    stdout: false,
    stderr: false,
  });

  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; origin: Error }>();
  let nextId = 1;
  let dead: Error | undefined;
  let methods: string[] = [];

  const failAll = (err: Error) => {
    dead ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  // Idle workers must not keep the process alive; busy ones must.
  const updateRef = () => (pending.size > 0 ? worker.ref() : worker.unref());

  await new Promise<void>((resolve, reject) => {
    const onMessage = (msg: HostReply) => {
      if (msg.kind === 'ready') {
        methods = msg.methods;
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve();
      } else if (msg.kind === 'initError') {
        void worker.terminate();
        reject(fromWire(msg.error, `hostInWorker(${path.basename(modulePath)}#${exportName})`));
      }
    };
    const onError = (e: Error) => reject(e);
    const onExit = (code: number) => reject(new Error(`worker hosting ${modulePath}#${exportName} exited with code ${code} before it was ready`));
    worker.once('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });

  worker.on('message', (msg: HostReply) => {
    if (msg.kind !== 'result' && msg.kind !== 'error') return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    updateRef();
    if (msg.kind === 'result') p.resolve(msg.value);
    else p.reject(fromWire(msg.error as WireError, p.origin.stack?.split('\n').slice(2).join('\n') ?? ''));
  });
  worker.on('error', (e) => failAll(new Error(`worker hosting ${modulePath}#${exportName} crashed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new Error(`worker hosting ${modulePath}#${exportName} exited (code ${code})`)));
  updateRef();

  const call = (method: string, callArgs: unknown[], transfer: ArrayBuffer[] = []): Promise<unknown> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    // Keep the caller's stack so a remote error points at the call site too. Read only on failure: formatting a
    // stack (through source maps, under swc) costs more than the round trip of a short call.
    const origin = new Error();
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, origin });
      updateRef();
      const req: HostRequest = { kind: 'call', id, method, args: callArgs };
      try {
        try {
          worker.postMessage(req, transfer);
        } catch (e) {
          // A message that fails to serialize moves nothing, so it can go again as a copy (some Node versions refuse
          // to move a buffer marked untransferable, e.g. the pool under small Buffers, instead of copying it).
          if (transfer.length === 0) throw e;
          worker.postMessage(req);
        }
      } catch (e) {
        pending.delete(id);
        updateRef();
        reject(new TypeError(`${method}(): arguments cannot be sent to the worker: ${(e as Error).message}`));
      }
    });
  };

  const terminate = async () => {
    failAll(new Error(`worker hosting ${modulePath}#${exportName} was terminated`));
    await worker.terminate();
  };

  const methodsMoving = (transfer: ArrayBuffer[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const m of methods) {
      if (m === 'terminate' || m === 'moving') continue;
      out[m] =
        m === 'dispose'
          ? async (...a: unknown[]) => {
              try {
                return await call(m, a, transfer);
              } finally {
                await terminate();
              }
            }
          : (...a: unknown[]) => call(m, a, transfer);
    }
    return out;
  };
  const remote: Record<string, unknown> = { ...methodsMoving([]), terminate, moving: methodsMoving };
  return remote as Remote<T>;
}

