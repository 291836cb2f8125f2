import * as ort from 'onnxruntime-node';
import { getSession, getSessionLazy, ProviderUnavailableError, releaseSessions, cachedSessionCount, resolvedProvider } from '../../../engine/runtime/sessions';
import { matmulChainModel } from '../../../engine/runtime/probeModel';

const model = matmulChainModel(2, 3, 3, 2);

function feeds(): Record<string, ort.Tensor> {
  return {
    x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]),
    w: new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 2, 0, 0, 0, 3]), [3, 3]),
  };
}

afterAll(() => releaseSessions());

describe('sessions', () => {
  it('creates a cpu session that computes the graph, and caches it per (hash, provider, threads)', async () => {
    const a = await getSession(model, 'chain', { provider: 'cpu', fallback: 'none', threads: 1 });
    const b = await getSession(model, 'chain', { provider: 'cpu', fallback: 'none', threads: 1 });
    expect(b).toBe(a);
    const c = await getSession(model, 'chain', { provider: 'cpu', fallback: 'none', threads: 2 });
    expect(c).not.toBe(a);
    const y = (await a.run(feeds())).y.data as Float32Array;
    // X @ diag(1,2,3) @ diag(1,2,3) = X * (1,4,9)
    expect(Array.from(y)).toEqual([1, 8, 27, 4, 20, 54]);
    let built = 0;
    await getSessionLazy('chain', () => { built++; return model; }, { provider: 'cpu', fallback: 'none', threads: 1 });
    expect(built).toBe(0);
  });

  it('requesting cuda on a machine without the CUDA provider fails with an error naming it and the install command', async () => {
    const err = await getSession(model, 'chain', { provider: 'cuda', fallback: 'none', threads: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.name).toBe('ProviderUnavailableError');
    expect(err.provider).toBe('cuda');
    expect(err.message).toContain("'cuda'");
    expect(err.message).toContain('--onnxruntime-node-install=cuda12');
    expect(err.message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  });

  it('webgpu without an adapter fails the same way', async () => {
    const err = await getSession(model, 'chain', { provider: 'webgpu', fallback: 'none', threads: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.message).toContain("'webgpu'");
  });

  it('falls back to cpu only when asked, and says so once', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(await resolvedProvider({ provider: 'cuda', fallback: 'cpu', threads: 1 })).toBe('cpu');
      const s = await getSession(model, 'chain', { provider: 'cuda', fallback: 'cpu', threads: 1 });
      const cpu = await getSession(model, 'chain', { provider: 'cpu', fallback: 'none', threads: 1 });
      expect(s).toBe(cpu);
      expect(Array.from((await s.run(feeds())).y.data as Float32Array)).toEqual([1, 8, 27, 4, 20, 54]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain('Falling back to the CPU');
    } finally {
      warn.mockRestore();
    }
  });

  it('rejects bad options and bad model bytes with clear errors, without caching the failure', async () => {
    await expect(getSession(model, 'x', { provider: 'tpu' as never, fallback: 'none', threads: 1 })).rejects.toThrow(/execution.provider 'tpu'/);
    await expect(getSession(model, 'x', { provider: 'cpu', fallback: 'none', threads: 0 })).rejects.toThrow(/execution.threads/);
    const before = cachedSessionCount();
    await expect(getSession(Uint8Array.from([1, 2, 3, 4]), 'garbage', { provider: 'cpu', fallback: 'none', threads: 1 }))
      .rejects.toThrow(/ONNX Runtime rejected graph garbage/);
    expect(cachedSessionCount()).toBe(before);
  });
});
