/** The worker side of hostInWorker(): build the hosted object, then serve method calls one at a time. */
import { parentPort, workerData } from 'worker_threads';
import { collectTransferables, toWire, type HostReply, type HostRequest } from './workerProtocol';

interface HostData {
  modulePath: string;
  exportName: string;
  args: unknown[];
  transferResults: boolean;
}

function methodNames(obj: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (d && typeof d.value === 'function') names.add(k);
    }
  }
  return [...names];
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('workerHost must run inside a worker thread');
  const data = workerData as HostData;
  let target: Record<string, (...a: unknown[]) => unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(data.modulePath);
    const factory = mod[data.exportName];
    if (typeof factory !== 'function') {
      throw new TypeError(`${data.modulePath} has no exported function '${data.exportName}' (exports: ${Object.keys(mod).join(', ') || 'none'})`);
    }
    target = await factory(...data.args);
    if (target === null || typeof target !== 'object') throw new TypeError(`${data.exportName}() returned ${String(target)}, not an object`);
  } catch (e) {
    port.postMessage({ kind: 'initError', error: toWire(e) } satisfies HostReply);
    return;
  }
  port.postMessage({ kind: 'ready', methods: methodNames(target) } satisfies HostReply);

  // Calls run one after another, in arrival order: a hosted runtime is not re-entrant.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (req: HostRequest) => {
    queue = queue.then(async () => {
      try {
        const fn = target[req.method];
        if (typeof fn !== 'function') throw new TypeError(`hosted object has no method '${req.method}'`);
        const value = await fn.apply(target, req.args);
        const reply: HostReply = { kind: 'result', id: req.id, value };
        port.postMessage(reply, data.transferResults ? collectTransferables(value) : []);
      } catch (e) {
        port.postMessage({ kind: 'error', id: req.id, error: toWire(e) } satisfies HostReply);
      }
    });
  });
}

void main();
