/**
 * The safetensors format, both ways: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {string: string}}, then the raw
 * little-endian tensor bytes. Offsets are relative to the end of the header and tile the data exactly.
 * Reading validates everything, because a checkpoint comes from disk and may be truncated or corrupted.
 */
import { InvalidInputError } from '../errors';

export type SafetensorsDType = 'F32' | 'F64' | 'I64' | 'I32';
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array;

export interface RawTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: TensorData;
}

/** A checkpoint file that cannot be what it claims (corrupt, truncated, or for another model): reading it again fails again. */
export class CheckpointFormatError extends InvalidInputError {
  override readonly name = 'CheckpointFormatError';
}

const ITEM_BYTES: Record<SafetensorsDType, number> = { F32: 4, F64: 8, I64: 8, I32: 4 };
/** Header limit of the reference implementation (100 MB); anything larger is corruption. */
const MAX_HEADER_BYTES = 100_000_000;

function dtypeOf(data: TensorData): SafetensorsDType {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  throw new TypeError(`unsupported tensor data type ${Object.prototype.toString.call(data)}`);
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encodeSafetensors(tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`safetensors metadata '${k}' must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error("a tensor cannot be named '__metadata__'");
    const actual = dtypeOf(t.data);
    if (actual !== t.dtype) throw new TypeError(`tensor '${name}': dtype ${t.dtype} but data is ${actual}`);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RangeError(`tensor '${name}': bad shape [${t.shape.join(', ')}]`);
    if (numel(t.shape) !== t.data.length) {
      throw new RangeError(`tensor '${name}': shape [${t.shape.join(', ')}] has ${numel(t.shape)} elements but data has ${t.data.length}`);
    }
    if (!littleEndian) throw new Error('safetensors writer needs a little-endian host');
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (typed-array views need it; readers ignore the spaces).
  const jsonBytes0 = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + jsonBytes0) % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + jsonBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
  out.set(jsonBytes, 8);
  let at = 8 + jsonBytes.byteLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, source = 'checkpoint'): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  const fail = (problem: string): never => {
    throw new CheckpointFormatError(`${source}: not a valid safetensors file: ${problem}`);
  };
  if (bytes.byteLength < 8) fail(`${bytes.byteLength} bytes is shorter than the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(Math.min(MAX_HEADER_BYTES, bytes.byteLength - 8))) {
    fail(`header length ${n64} exceeds the ${bytes.byteLength - 8} bytes after the length field (file truncated or not safetensors)`);
  }
  const n = Number(n64);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) fail(`tensor '${name}' has no info object`);
    if (typeof info.dtype !== 'string' || !(info.dtype in ITEM_BYTES)) {
      fail(`tensor '${name}' has dtype ${JSON.stringify(info.dtype)}; prefloop reads ${Object.keys(ITEM_BYTES).join(', ')}`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}' has bad data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as number[];
    if (begin > end || end > dataLength) fail(`tensor '${name}' data_offsets [${begin}, ${end}] out of range of ${dataLength} data bytes (file truncated?)`);
    const dtype = info.dtype as SafetensorsDType;
    const want = numel(shape as number[]) * ITEM_BYTES[dtype];
    if (end - begin !== want) fail(`tensor '${name}' spans ${end - begin} bytes but ${dtype}[${(shape as number[]).join(', ')}] needs ${want}`);
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // The offsets must tile the data region with no gap and no overlap.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expect = 0;
  for (const e of sorted) {
    if (e.begin !== expect) fail(`tensor '${e.name}' starts at ${e.begin} but the previous tensor ends at ${expect} (offsets not contiguous)`);
    expect = e.end;
  }
  if (expect !== dataLength) fail(`tensors cover ${expect} data bytes but the file has ${dataLength} (truncated or trailing bytes)`);
  // In data order, which is the writer's order: parameter order survives a round trip.
  const tensors = new Map<string, RawTensor>();
  for (const e of sorted) {
    // Copy into a fresh, aligned buffer: the file's bytes may not be aligned and must not be aliased.
    const fresh = new Uint8Array(e.end - e.begin);
    fresh.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    const copy = fresh.buffer;
    const data =
      e.dtype === 'F32' ? new Float32Array(copy) : e.dtype === 'F64' ? new Float64Array(copy) : e.dtype === 'I64' ? new BigInt64Array(copy) : new Int32Array(copy);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}
