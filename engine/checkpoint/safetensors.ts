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

/**
 * The file as its parts, in order: the length field and header, then a view of each tensor's own bytes (no copy).
 * Written one after another they are the file, so a store can stream a model without a second copy in memory.
 */
export function safetensorsChunks(tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}): Uint8Array[] {
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
  const head = new Uint8Array(8 + jsonBytes.byteLength);
  new DataView(head.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
  head.set(jsonBytes, 8);
  return [head, ...parts];
}

export function encodeSafetensors(tensors: Map<string, RawTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const chunks = safetensorsChunks(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

interface Entry { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }

/** Validates the header against a file of `totalBytes`; returns the tensors in data order and the metadata. */
function parseHeader(json: Uint8Array, dataLength: number, fail: (problem: string) => never): { entries: Entry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    fail(`header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
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
  return { entries: sorted, metadata };
}

function typedArray(dtype: SafetensorsDType, buffer: ArrayBuffer): TensorData {
  return dtype === 'F32' ? new Float32Array(buffer) : dtype === 'F64' ? new Float64Array(buffer) : dtype === 'I64' ? new BigInt64Array(buffer) : new Int32Array(buffer);
}

/**
 * Reads a safetensors file of a known size from chunks of any sizes, copying each tensor's bytes straight into a
 * fresh aligned buffer of its own: memory is the tensors plus one chunk, never the file and the tensors at once.
 * Tensors come back in data order, which is the writer's order, so parameter order survives a round trip.
 */
export class SafetensorsReader {
  private readonly prefix: Uint8Array[] = [];
  private prefixBytes = 0;
  private headerEnd = -1;
  private entries: Entry[] = [];
  private metadata: Record<string, string> = {};
  private readonly tensors = new Map<string, RawTensor>();
  private index = 0;
  private current: Uint8Array | null = null;
  private filled = 0;
  private seen = 0;

  constructor(private readonly totalBytes: number, private readonly source = 'checkpoint') {}

  private fail(problem: string): never {
    throw new CheckpointFormatError(`${this.source}: not a valid safetensors file: ${problem}`);
  }

  push(chunk: Uint8Array): void {
    this.seen += chunk.byteLength;
    if (this.seen > this.totalBytes) this.fail(`more than the ${this.totalBytes} bytes expected`);
    let rest = chunk;
    if (this.headerEnd < 0) {
      this.prefix.push(chunk);
      this.prefixBytes += chunk.byteLength;
      if (!this.readHeader()) return;
      rest = chunk.subarray(chunk.byteLength - (this.prefixBytes - this.headerEnd));
    }
    while (rest.byteLength > 0) {
      const e = this.entries[this.index];
      if (!this.current) this.current = new Uint8Array(e.end - e.begin);
      const n = Math.min(rest.byteLength, this.current.byteLength - this.filled);
      this.current.set(rest.subarray(0, n), this.filled);
      this.filled += n;
      rest = rest.subarray(n);
      if (this.filled === this.current.byteLength) this.complete();
    }
    // Zero-byte tensors at the end take no bytes: close them as soon as everything before them is in.
    while (this.index < this.entries.length && this.entries[this.index].end === this.entries[this.index].begin) {
      this.current = new Uint8Array(0);
      this.complete();
    }
  }

  finish(): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
    if (this.headerEnd < 0 && this.seen < 8) this.fail(`${this.seen} bytes is shorter than the 8-byte header length`);
    if (this.seen !== this.totalBytes || this.index < this.entries.length) this.fail(`ended after ${this.seen} of ${this.totalBytes} bytes (truncated)`);
    return { tensors: this.tensors, metadata: this.metadata };
  }

  private complete(): void {
    const e = this.entries[this.index++];
    this.tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: typedArray(e.dtype, this.current!.buffer as ArrayBuffer) });
    this.current = null;
    this.filled = 0;
  }

  /** True once the length field and the whole header are in (then parsed and validated). */
  private readHeader(): boolean {
    if (this.prefixBytes < 8) return false;
    const head = this.prefix.length === 1 ? this.prefix[0] : Buffer.concat(this.prefix);
    this.prefix.length = 0;
    this.prefix.push(head);
    const n64 = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    if (this.totalBytes < 8) this.fail(`${this.totalBytes} bytes is shorter than the 8-byte header length`);
    if (n64 > BigInt(Math.min(MAX_HEADER_BYTES, this.totalBytes - 8))) {
      this.fail(`header length ${n64} exceeds the ${this.totalBytes - 8} bytes after the length field (file truncated or not safetensors)`);
    }
    const n = Number(n64);
    if (this.prefixBytes < 8 + n) return false;
    const parsed = parseHeader(head.subarray(8, 8 + n), this.totalBytes - 8 - n, (p) => this.fail(p));
    this.entries = parsed.entries;
    this.metadata = parsed.metadata;
    this.headerEnd = 8 + n;
    this.prefix.length = 0;
    return true;
  }
}

export function decodeSafetensors(bytes: Uint8Array, source = 'checkpoint'): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  const reader = new SafetensorsReader(bytes.byteLength, source);
  reader.push(bytes);
  return reader.finish();
}
