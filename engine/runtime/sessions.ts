/**
 * The one place that creates ONNX Runtime sessions. Sessions are cached per (graph hash, provider, threads)
 * because creating one costs graph optimisation time that a training loop must pay only once.
 * A requested provider is probed with a tiny model first, so that "the provider cannot load" is told apart
 * from "this model is bad" and reported with the fix.
 */
import * as ort from 'onnxruntime-node';
import type { Provider } from '../../schemas/campaign';
import type { RuntimeOptions } from '../model/api';
import { InvalidInputError } from '../errors';
import { matmulChainModel } from './probeModel';

export const DEFAULT_RUNTIME: RuntimeOptions = { provider: 'cpu', fallback: 'none', threads: 1 };

const INSTALL_HINT: Record<Provider, string> = {
  cpu: 'the CPU provider ships with onnxruntime-node; reinstall it with `npm install onnxruntime-node`',
  cuda:
    'install the CUDA 12 build of the provider: `npm install onnxruntime-node --onnxruntime-node-install=cuda12` ' +
    '(or set ONNXRUNTIME_NODE_INSTALL=cuda12 before `npm install`) on a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9, ' +
    'and network access to NuGet; or set execution.fallback: cpu to run on the CPU instead',
  webgpu:
    'the WebGPU provider is bundled with onnxruntime-node but needs a GPU adapter (on Linux: a GPU with Vulkan drivers ' +
    'and libvulkan.so.1); or set execution.fallback: cpu to run on the CPU instead',
};

/** With execution.fallback 'none' a provider that cannot load fails every attempt on this machine: not retried. */
export class ProviderUnavailableError extends InvalidInputError {
  override readonly name = 'ProviderUnavailableError';
  constructor(readonly provider: Provider, override readonly cause?: unknown) {
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause ?? 'unknown reason');
    super(`execution provider '${provider}' cannot load (${why}); to fix: ${INSTALL_HINT[provider]}`);
  }
}

const PROVIDERS_KNOWN: readonly Provider[] = ['cpu', 'cuda', 'webgpu'];

function validate(opts: RuntimeOptions): void {
  if (!PROVIDERS_KNOWN.includes(opts.provider)) {
    throw new InvalidInputError(`execution.provider '${String(opts.provider)}' is not one of ${PROVIDERS_KNOWN.join(', ')}`);
  }
  if (opts.fallback !== 'none' && opts.fallback !== 'cpu') {
    throw new InvalidInputError(`execution.fallback '${String(opts.fallback)}' must be 'none' or 'cpu'`);
  }
  if (!Number.isInteger(opts.threads) || opts.threads < 1) {
    throw new InvalidInputError(`execution.threads must be a positive integer, got ${String(opts.threads)}`);
  }
}

function sessionOptions(provider: Provider, threads: number, arena: boolean): ort.InferenceSession.SessionOptions {
  // One intra-op pool of a fixed size and sequential execution: the same partitioning of work every run,
  // hence bit-identical results run to run on the CPU.
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // A CPU arena keeps the peak of every run resident for the life of its session. Sessions whose runs vary
    // (decoding, scoring, one-off graphs) go without one, so each tensor goes back to malloc when freed: at GPT-2
    // small's shape an arena in every session (with memory patterns) took a preference step's peak RSS from 5372 to
    // 8870 MiB. A training graph is the opposite case (GraphSessions' `arena`): it runs step after step with the
    // same shapes, so the arena's blocks are reused exactly, where malloc's heap fragments under a step's mix of
    // activation and gradient sizes and keeps the fragments (smollm2-135m, 2 pairs x 256, bench:engine: step peak
    // 4731 -> 4392 MiB, step time unchanged). Memory patterns stay off: they raised that peak to 6456 MiB. At
    // Qwen2.5-0.5B's shape the arena costs instead (13733 -> 14438 MiB, --quick): its blocks grow in powers of two
    // and the [tokens, 151936] logits tensors (620 MB each) fragment them; kept for the 135M-class models this
    // machine trains, a known limit above that.
    enableCpuMemArena: arena,
    enableMemPattern: false,
  };
  if (provider === 'cuda') return { ...base, executionProviders: [{ name: 'cuda', deviceId: 0 } as ort.InferenceSession.ExecutionProviderConfig] };
  if (provider === 'webgpu') return { ...base, executionProviders: ['webgpu'] };
  return { ...base, executionProviders: ['cpu'] };
}

const probes = new Map<Provider, Promise<unknown>>();

/** Resolves to undefined when the provider loads, else to the load error (never rejects). */
function probe(provider: Provider): Promise<unknown> {
  let p = probes.get(provider);
  if (!p) {
    p = (async () => {
      try {
        const s = await ort.InferenceSession.create(matmulChainModel(1, 2), sessionOptions(provider, 1, false));
        await s.release();
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    probes.set(provider, p);
  }
  return p;
}

const fallbackLogged = new Set<Provider>();

/** The provider a session for `opts` really uses ('cpu' after a fallback); throws ProviderUnavailableError. */
export async function resolvedProvider(opts: RuntimeOptions): Promise<Provider> {
  validate(opts);
  if (opts.provider === 'cpu') return 'cpu';
  const failure = await probe(opts.provider);
  if (failure === undefined) return opts.provider;
  const err = new ProviderUnavailableError(opts.provider, failure);
  if (opts.fallback !== 'cpu') throw err;
  if (!fallbackLogged.has(opts.provider)) {
    fallbackLogged.add(opts.provider);
    console.warn(`prefloop: ${err.message}. Falling back to the CPU provider because execution.fallback is 'cpu'.`);
  }
  return 'cpu';
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** A cached session for this graph; `build` runs only on a cache miss. `arena`: see sessionOptions. */
export async function getSessionLazy(hash: string, build: () => Uint8Array, opts: RuntimeOptions, arena = false): Promise<ort.InferenceSession> {
  const provider = await resolvedProvider(opts);
  const key = `${hash}|${provider}|${opts.threads}|${arena ? 'arena' : 'malloc'}`;
  let s = sessions.get(key);
  if (!s) {
    s = (async () => {
      const bytes = build();
      try {
        return await ort.InferenceSession.create(bytes, sessionOptions(provider, opts.threads, arena));
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw new Error(`ONNX Runtime rejected graph ${hash.slice(0, 12)} (${bytes.byteLength} bytes) on provider '${provider}': ${msg}`);
      }
    })();
    sessions.set(key, s);
    // A failed creation must not poison the cache: the next caller retries.
    s.catch(() => sessions.delete(key));
  }
  return s;
}

export function getSession(modelBytes: Uint8Array, hash: string, opts: RuntimeOptions, arena = false): Promise<ort.InferenceSession> {
  return getSessionLazy(hash, () => modelBytes, opts, arena);
}

/** Number of sessions currently cached (for tests and diagnostics). */
export function cachedSessionCount(): number {
  return sessions.size;
}

export async function releaseSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const s of all) {
    try {
      await (await s).release();
    } catch {
      // a session that failed to create has nothing to release
    }
  }
}
