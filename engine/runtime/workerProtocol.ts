import { types } from 'node:util';

/** Messages between hostInWorker() and workerHost, and the (de)serialisation of errors and transfer lists. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** Own enumerable fields of the error (e.g. `provider`, `code`) that survive structured cloning. */
  fields: Record<string, unknown>;
}

export type HostRequest = { kind: 'call'; id: number; method: string; args: unknown[] };
export type HostReply =
  | { kind: 'ready'; methods: string[] }
  | { kind: 'initError'; error: WireError }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: WireError };

export function toWire(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: `non-Error thrown: ${String(e)}`, fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'name' || k === 'message' || k === 'stack') continue;
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v;
  }
  return { name: e.name, message: e.message, stack: e.stack, fields };
}

/** An Error with the original name, message and fields; the stack shows the worker's frames, then the caller's. */
export function fromWire(w: WireError, callerStack: string): Error {
  const e = new Error(w.message);
  Object.defineProperty(e, 'name', { value: w.name, enumerable: false, writable: true, configurable: true });
  Object.assign(e, w.fields);
  const remote = (w.stack ?? `${w.name}: ${w.message}`).split('\n');
  e.stack = [...remote, '    --- in worker thread; called from ---', callerStack].join('\n');
  return e;
}

/** The ArrayBuffers under a value (typed arrays in arrays, Maps, Sets and plain objects), each once. */
export function collectTransferables(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number) => {
    if (v === null || typeof v !== 'object' || depth > 32 || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      // Node Buffers may share a process-wide pool that must not be detached; those are copied instead.
      // isArrayBuffer is false for shared memory (never moved).
      if (!Buffer.isBuffer(v) && types.isArrayBuffer(v.buffer) && v.buffer.byteLength > 0) out.add(v.buffer);
      return;
    }
    // Checks that hold in any realm (a value a thread sent back is made of the main context's Maps and Objects).
    const proto: unknown = Object.getPrototypeOf(v);
    if (types.isMap(v)) {
      for (const [k, x] of v) {
        walk(k, depth + 1);
        walk(x, depth + 1);
      }
    } else if (types.isSet(v) || Array.isArray(v)) {
      for (const x of v as Iterable<unknown>) walk(x, depth + 1);
    } else if (proto === null || Object.getPrototypeOf(proto) === null) {
      for (const x of Object.values(v)) walk(x, depth + 1);
    }
  };
  walk(value, 0);
  return [...out];
}
