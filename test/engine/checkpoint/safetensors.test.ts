import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CheckpointFormatError, decodeSafetensors, encodeSafetensors, type RawTensor } from '../../../engine/checkpoint/safetensors';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint, type PolicyCheckpoint } from '../../../engine/checkpoint/checkpoint';
import type { NamedTensors } from '../../../engine/model/api';
import { rngFor } from '../../../engine/sampling/rng';

function randomTensors(names: [string, number[]][], seed: number): NamedTensors {
  const r = rngFor(seed);
  const out: NamedTensors = new Map();
  for (const [name, shape] of names) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (r.next() - 0.5) * 10;
    out.set(name, { dtype: 'float32', shape, data });
  }
  return out;
}

const PARAMS: [string, number[]][] = [['wte', [11, 8]], ['h.0.attn.qkv.weight', [8, 24]], ['ln_f.bias', [8]], ['scalar', []]];

function checkpoint(): PolicyCheckpoint {
  const weights = randomTensors(PARAMS, 1);
  // special values must survive bit-exactly too
  const w = weights.get('wte')!.data;
  w[0] = -0; w[1] = NaN; w[2] = Infinity; w[3] = 1.4e-45; w[4] = -3.4028234663852886e38;
  return {
    config: { vocab: 11, dModel: 8, layers: 1, heads: 2, context: 16, tiedHead: true },
    state: { weights, m: randomTensors(PARAMS, 2), v: randomTensors(PARAMS, 3), step: 17 },
  };
}

function bits(t: Float32Array): Uint32Array {
  return new Uint32Array(t.buffer.slice(t.byteOffset, t.byteOffset + t.byteLength));
}

/** An independent reader written from the format's definition, sharing no code with prefloop. */
function independentRead(file: Buffer): { header: Record<string, any>; tensor(name: string): Float32Array } {
  const n = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + n).toString('utf8'));
  const base = 8 + n;
  return {
    header,
    tensor(name) {
      const { dtype, shape, data_offsets: [b, e] } = header[name];
      expect(dtype).toBe('F32');
      const count = (shape as number[]).reduce((a, x) => a * x, 1);
      expect(e - b).toBe(count * 4);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = file.readFloatLE(base + b + 4 * i);
      return out;
    },
  };
}

describe('safetensors', () => {
  it('round-trips a checkpoint bit-exactly, with config, step and optimizer state', () => {
    const ck = checkpoint();
    const back = decodeCheckpoint(encodeCheckpoint(ck, { iteration: '3' }));
    expect(back.config).toEqual(ck.config);
    expect(back.state.step).toBe(17);
    expect(back.metadata.iteration).toBe('3');
    for (const part of ['weights', 'm', 'v'] as const) {
      expect([...back.state[part].keys()]).toEqual(PARAMS.map(([n]) => n));
      for (const [name, t] of ck.state[part]) {
        const got = back.state[part].get(name)!;
        expect(got.shape).toEqual(t.shape);
        expect(bits(got.data)).toEqual(bits(t.data));
      }
    }
  });

  it('round-trips F64, I64 and I32 tensors and empty tensors', () => {
    const t = new Map<string, RawTensor>([
      ['f64', { dtype: 'F64', shape: [3], data: Float64Array.from([Math.PI, -0, 1e-310]) }],
      ['i64', { dtype: 'I64', shape: [2], data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]) }],
      ['i32', { dtype: 'I32', shape: [1, 1], data: Int32Array.from([-7]) }],
      ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const back = decodeSafetensors(encodeSafetensors(t)).tensors;
    expect(Array.from(back.get('f64')!.data as Float64Array)).toEqual([Math.PI, -0, 1e-310]);
    expect(Object.is((back.get('f64')!.data as Float64Array)[1], -0)).toBe(true);
    expect(Array.from(back.get('i64')!.data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect(back.get('i32')!.shape).toEqual([1, 1]);
    expect(back.get('empty')!.shape).toEqual([0, 4]);
  });

  it('writes files an independent reader parses: 8-byte length, space-padded aligned JSON, contiguous LE data', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prefloop-st-'));
    const file = path.join(dir, 'policy.safetensors');
    const ck = checkpoint();
    await saveCheckpoint(file, ck);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const bytes = await fs.readFile(file);
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const raw = bytes.subarray(8, 8 + n).toString('utf8');
    expect(raw.trimEnd().endsWith('}')).toBe(true);
    expect(/^ *$/.test(raw.slice(raw.trimEnd().length))).toBe(true);
    const r = independentRead(bytes);
    expect(r.header.__metadata__.format).toBe('prefloop.checkpoint.v1');
    expect(JSON.parse(r.header.__metadata__.config)).toEqual(ck.config);
    expect(r.header.__metadata__.step).toBe('17');
    for (const [name] of PARAMS) {
      expect(bits(r.tensor(name))).toEqual(bits(ck.state.weights.get(name)!.data));
      expect(bits(r.tensor(`optimizer.m.${name}`))).toEqual(bits(ck.state.m.get(name)!.data));
      expect(bits(r.tensor(`optimizer.v.${name}`))).toEqual(bits(ck.state.v.get(name)!.data));
    }
    // offsets tile the data region exactly
    const spans = Object.entries(r.header).filter(([k]) => k !== '__metadata__').map(([, v]) => v.data_offsets as number[]).sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [b, e] of spans) { expect(b).toBe(at); at = e; }
    expect(at).toBe(bytes.length - 8 - n);
    const loaded = await loadCheckpoint(file);
    expect(loaded.state.step).toBe(17);
    await fs.rm(dir, { recursive: true });
  });

  describe('corruption is a clear error, never a crash', () => {
    const good = Buffer.from(encodeCheckpoint(checkpoint()));
    const n = Number(good.readBigUInt64LE(0));
    const header = JSON.parse(good.subarray(8, 8 + n).toString('utf8'));

    function withHeader(h: unknown, data = good.subarray(8 + n)): Buffer {
      const json = Buffer.from(JSON.stringify(h));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      return Buffer.concat([len, json, data]);
    }

    const cases: [string, () => Buffer, RegExp][] = [
      ['empty file', () => Buffer.alloc(0), /shorter than the 8-byte header length/],
      ['truncated data', () => good.subarray(0, good.length - 5), /out of range|truncated/],
      ['truncated header', () => good.subarray(0, 8 + Math.floor(n / 2)), /header length \d+ exceeds/],
      ['huge header length', () => { const b = Buffer.from(good); b.writeBigUInt64LE(2n ** 60n); return b; }, /header length/],
      ['header not JSON', () => { const b = Buffer.from(good); b.write('#', 8); return b; }, /not UTF-8 JSON/],
      ['header is an array', () => withHeader([1, 2]), /not a JSON object/],
      ['unknown dtype', () => withHeader({ ...header, wte: { ...header.wte, dtype: 'F8_E4M3' } }), /tensor 'wte' has dtype "F8_E4M3"/],
      ['shape and size disagree', () => withHeader({ ...header, wte: { ...header.wte, shape: [11, 9] } }), /tensor 'wte' spans \d+ bytes but F32\[11, 9\] needs/],
      ['overlapping offsets', () => { const [b, e] = header['ln_f.bias'].data_offsets; return withHeader({ ...header, 'ln_f.bias': { ...header['ln_f.bias'], data_offsets: [b - 4, e - 4] } }); }, /not contiguous/],
      ['offsets past the end', () => { const [b, e] = header.scalar.data_offsets; return withHeader({ ...header, scalar: { ...header.scalar, data_offsets: [b + 100000, e + 100000] } }); }, /out of range/],
      ['negative offsets', () => withHeader({ ...header, scalar: { ...header.scalar, data_offsets: [-4, 0] } }), /bad data_offsets/],
      ['trailing bytes', () => Buffer.concat([good, Buffer.alloc(8)]), /trailing bytes/],
      ['metadata value not a string', () => withHeader({ ...header, __metadata__: { ...header.__metadata__, step: 17 } }), /__metadata__.step is not a string/],
      ['not a prefloop checkpoint', () => withHeader({ ...header, __metadata__: {} }), /__metadata__.format/],
      ['bad config', () => withHeader({ ...header, __metadata__: { ...header.__metadata__, config: '{"vocab":0}' } }), /config.vocab is 0/],
      ['missing optimizer moment', () => { const h = { ...header }; delete h['optimizer.v.scalar']; const [b] = header['optimizer.v.scalar'].data_offsets; return withHeader(h, good.subarray(8 + n, 8 + n + b)); }, /optimizer.v.scalar is missing/],
    ];
    it.each(cases)('%s', (_name, make, message) => {
      let err: unknown;
      try { decodeCheckpoint(make(), 'bad.safetensors'); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(CheckpointFormatError);
      expect((err as Error).message).toMatch(/^bad.safetensors: /);
      expect((err as Error).message).toMatch(message);
    });

    it('random byte flips in the header are rejected or decoded, never a crash or a hang', () => {
      const r = rngFor(99);
      for (let trial = 0; trial < 300; trial++) {
        const b = Buffer.from(good);
        b[r.nextInt(8 + n)] = r.nextInt(256);
        try { decodeCheckpoint(b); } catch (e) { expect(e).toBeInstanceOf(CheckpointFormatError); }
      }
    });
  });

  it('refuses to write inconsistent tensors', () => {
    expect(() => encodeSafetensors(new Map([['a', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]]))).toThrow(/shape \[3\] has 3 elements but data has 2/);
    expect(() => encodeSafetensors(new Map([['a', { dtype: 'F64', shape: [2], data: new Float32Array(2) }]]))).toThrow(/dtype F64 but data is F32/);
    const ck = checkpoint();
    ck.state.m.delete('wte');
    expect(() => encodeCheckpoint(ck)).toThrow(/optimizer state m has no entry for parameter 'wte'/);
  });
});
