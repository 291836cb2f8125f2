/**
 * The model family's view of ORT sessions: each graph kind is built and serialized once per runtime, then its
 * session comes from the shared cache in engine/runtime/sessions.ts (keyed by the graph's sha256, provider and
 * threads). Feeds are checked against the session's inputs so a wiring mistake names the missing input.
 */
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import type { Graph } from '../onnx';
import { getSession } from '../runtime/sessions';
import type { NamedTensors, RuntimeOptions } from './api';

export type Feeds = Record<string, ort.Tensor>;
export type Outputs = ort.InferenceSession.OnnxValueMapType;

export class GraphSessions {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(private readonly options: RuntimeOptions) {}

  /** `arena`: the session keeps a CPU memory arena (training graphs; see engine/runtime/sessions.ts). */
  session(key: string, build: () => Graph, arena = false): Promise<ort.InferenceSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = (async () => {
        const bytes = build().toBytes();
        const hash = createHash('sha256').update(bytes).digest('hex');
        return getSession(bytes, hash, this.options, arena);
      })();
      // A failed build or load must not poison the cache: the next call retries.
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  async run(key: string, build: () => Graph, feeds: Feeds, arena = false): Promise<Outputs> {
    const session = await this.session(key, build, arena);
    const used: Feeds = {};
    for (const name of session.inputNames) {
      const t = feeds[name];
      if (!t) throw new Error(`internal: graph '${key}' needs input '${name}' that was not fed`);
      used[name] = t;
    }
    return session.run(used);
  }

  /** Forgets this runtime's sessions; the shared cache keeps them for other runtimes of the same graphs. */
  clear(): void {
    this.sessions.clear();
  }
}

export function scalarFeed(value: number, dtype: 'float32' | 'float64' = 'float32'): ort.Tensor {
  return new ort.Tensor(dtype, dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value), []);
}

/**
 * Tensors as ORT inputs: views of the caller's arrays, except shared-memory ones (a training state handed back by a
 * compute thread, policy-thread.ts), which ORT refuses ("Invalid argument") and are copied.
 */
export function tensorFeeds(tensors: NamedTensors, prefix = ''): Feeds {
  const feeds: Feeds = {};
  for (const [name, t] of tensors) {
    const data = t.data.buffer instanceof SharedArrayBuffer ? t.data.slice() : t.data;
    feeds[prefix + name] = new ort.Tensor('float32', data, t.shape);
  }
  return feeds;
}

export function outputTensor(outputs: Outputs, name: string): ort.Tensor {
  const t = outputs[name];
  if (!t) throw new Error(`internal: graph output '${name}' is missing`);
  return t as ort.Tensor;
}

export function outputScalar(outputs: Outputs, name: string): number {
  return Number((outputTensor(outputs, name).data as Float32Array)[0]);
}
