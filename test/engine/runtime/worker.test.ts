import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { hostInWorker } from '../../../engine/runtime/worker';
import { getSession, releaseSessions } from '../../../engine/runtime/sessions';
import { matmulChainModel } from '../../../engine/runtime/probeModel';
import type { createMatmulHost } from './fixtures/matmulHost';

type Host = Awaited<ReturnType<typeof createMatmulHost>>;
const fixture = path.join(__dirname, 'fixtures', 'matmulHost.ts');
const N = 512;
const DEPTH = 250; // ~67 GFLOP: hundreds of ms even on a fast core, long enough for a timer to fire many times

afterAll(() => releaseSessions());

async function ticksDuring(work: () => Promise<unknown>): Promise<{ ticks: number; ms: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const t0 = Date.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { ticks, ms: Date.now() - t0 };
}

describe('hostInWorker', () => {
  it('keeps the main event loop free while a long synchronous ORT run executes in the worker', async () => {
    const remote = await hostInWorker<Host>(fixture, 'createMatmulHost', [N, DEPTH]);
    try {
      const x = new Float32Array(N * N).map((_, i) => (i % 7) - 3);
      let y: Float32Array = new Float32Array(0);
      const { ticks, ms } = await ticksDuring(async () => { y = await remote.chain(x); });
      expect(ms).toBeGreaterThan(100);
      // a free loop ticks every ~10 ms; demand a third of that to tolerate a loaded machine
      expect(ticks).toBeGreaterThanOrEqual(Math.floor(ms / 30));
      expect(Array.from(y)).toEqual(Array.from(x)); // identity chain
      expect(Array.from(x.subarray(0, 4))).toEqual([-3, -2, -1, 0]); // args are copied, not detached

      // The contrast that gives this test its power: the same run on the main thread blocks the timer.
      const s = await getSession(matmulChainModel(N, N, N, DEPTH), `chain-${N}-${DEPTH}`, { provider: 'cpu', fallback: 'none', threads: 1 });
      const eye = new Float32Array(N * N);
      for (let i = 0; i < N; i++) eye[i * N + i] = 1;
      const feeds = { x: new ort.Tensor('float32', x, [N, N]), w: new ort.Tensor('float32', eye, [N, N]) };
      const blocked = await ticksDuring(() => s.run(feeds));
      expect(blocked.ms).toBeGreaterThan(100);
      expect(blocked.ticks).toBeLessThanOrEqual(1);
    } finally {
      await remote.terminate();
    }
  });

  it('moves typed arrays inside Maps and objects both ways, and keeps state between calls', async () => {
    const remote = await hostInWorker<Host>(fixture, 'createMatmulHost', [4, 1]);
    try {
      const weights = new Map([['wte', { dtype: 'float32', shape: [2], data: Float32Array.from([1.5, -2]) }]]);
      const sent = { weights, ids: BigInt64Array.from([3n]), step: 4 };
      const back = (await remote.echo(sent)) as typeof sent;
      expect(back.step).toBe(4);
      expect(Array.from(back.weights.get('wte')!.data)).toEqual([1.5, -2]);
      expect(back.weights.get('wte')!.data).toBeInstanceOf(Float32Array);
      expect(back.ids[0]).toBe(3n);
      expect(await remote.calls()).toBe(1);
    } finally {
      await remote.terminate();
    }
  });

  it('moving(buffers) moves those buffers to the worker (the caller\'s views empty, no copy), and copies what cannot be moved', async () => {
    const remote = await hostInWorker<Host>(fixture, 'createMatmulHost', [4, 1]);
    try {
      const data = Float32Array.from([1.5, -2, 3]);
      const kept = Float32Array.from([7]);
      const back = (await remote.moving([data.buffer]).echo({ data, kept })) as { data: Float32Array; kept: Float32Array };
      expect(Array.from(back.data)).toEqual([1.5, -2, 3]);
      expect(data.buffer.byteLength).toBe(0); // moved, not copied
      expect(Array.from(kept)).toEqual([7]); // not in the list: copied
      // A view of Node's shared pool of small Buffers cannot be moved: it goes as a copy and stays usable here.
      const pooled = Buffer.from([0, 0, 128, 63]);
      const view = new Float32Array(pooled.buffer, pooled.byteOffset, 1);
      const echoed = (await remote.moving([view.buffer as ArrayBuffer]).echo(view)) as Float32Array;
      expect(Array.from(echoed)).toEqual([1]);
      expect(Array.from(view)).toEqual([1]);
    } finally {
      await remote.terminate();
    }
  });

  it('re-throws errors on the caller side with the original name, message and fields', async () => {
    const remote = await hostInWorker<Host>(fixture, 'createMatmulHost', [4, 1]);
    try {
      const e1 = await remote.failWithProvider().catch((e) => e);
      expect(e1).toBeInstanceOf(Error);
      expect(e1.name).toBe('ProviderUnavailableError');
      expect(e1.provider).toBe('cuda');
      expect(e1.message).toContain("execution provider 'cuda' cannot load (no libcudart)");
      expect(e1.stack).toContain('called from');
      const e2 = await remote.failLater().catch((e) => e);
      expect(e2.name).toBe('RangeError');
      expect(e2.message).toBe('beta must be positive');
      // the worker survives a failed call
      expect(await remote.calls()).toBe(0);
      const e3 = (await remote.echo(() => 1).catch((e: Error) => e)) as Error;
      expect(e3.message).toMatch(/echo\(\): arguments cannot be sent to the worker/);
    } finally {
      await remote.terminate();
    }
  });

  it('dispose() runs the hosted dispose and terminates; later calls reject', async () => {
    const remote = await hostInWorker<Host>(fixture, 'createMatmulHost', [4, 1]);
    await remote.dispose();
    await expect(remote.calls()).rejects.toThrow(/terminated/);
    await remote.terminate();
  });

  it('reports a bad module or export clearly', async () => {
    await expect(hostInWorker(fixture, 'notAFactory')).rejects.toThrow(/has no exported function 'notAFactory'/);
    await expect(hostInWorker(path.join(__dirname, 'fixtures', 'missing.ts'), 'x')).rejects.toThrow(/Cannot find module/);
    await expect(hostInWorker('relative/path.ts', 'x')).rejects.toThrow(/modulePath must be absolute/);
    await expect(hostInWorker(fixture, 'createMatmulHost', [4, 0])).rejects.toThrow(/depth|matmul|graph/i);
  });
});
