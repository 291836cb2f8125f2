/**
 * A Hugging Face model directory's weights: `model.safetensors`, or shards listed by `model.safetensors.index.json`
 * (weight_map: tensor name -> shard file). Reading the index only reads each file's header (names, dtypes, shapes,
 * offsets), so every check of names and shapes happens before any weight is read. Loading then reads one tensor at a
 * time and widens it to float32 in place of the next: memory peaks at the float32 model plus one tensor, never at
 * twice the model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NamedTensors, ResolvedModelConfig } from '../model/api';
import { familyOf, parameterSpecs } from '../model/gpt';
import { InvalidInputError } from '../errors';
import { halfToF32, type HalfDType } from './dtypes';

export type HfDType = 'F32' | HalfDType;
const ITEM_BYTES: Record<HfDType, number> = { F32: 4, F16: 2, BF16: 2 };
const MAX_HEADER_BYTES = 100_000_000;

export interface HfTensorEntry {
  /** The name in the file. */
  name: string;
  dtype: HfDType;
  shape: number[];
  /** Shard file name (relative to the directory). */
  file: string;
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface HfWeightsIndex {
  dir: string;
  /** Weight files in the order they are read. */
  files: string[];
  /** Every tensor, by file, then by offset. */
  tensors: HfTensorEntry[];
  /** The file header's __metadata__ of the first file (transformers writes {"format": "pt"}). */
  metadata: Record<string, string>;
}

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

function readHeader(dir: string, file: string): { entries: HfTensorEntry[]; metadata: Record<string, string> } {
  const full = path.join(dir, file);
  const fail = (problem: string): never => {
    throw new InvalidInputError(`${full}: not a valid safetensors file: ${problem}; re-save the model with save_pretrained(safe_serialization=True)`);
  };
  let fd: number;
  try {
    fd = fs.openSync(full, 'r');
  } catch (e) {
    throw new InvalidInputError(`${full}: cannot open the weights (${(e as Error).message})`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const lengthBytes = Buffer.alloc(8);
    if (size < 8 || fs.readSync(fd, lengthBytes, 0, 8, 0) !== 8) fail(`${size} bytes is shorter than the 8-byte header length`);
    const n64 = lengthBytes.readBigUInt64LE(0);
    if (n64 > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) fail(`header length ${n64} exceeds the ${size - 8} bytes after it (truncated?)`);
    const n = Number(n64);
    const headerBytes = Buffer.alloc(n);
    fs.readSync(fd, headerBytes, 0, n, 8);
    let header: Record<string, unknown> = {};
    try {
      header = JSON.parse(headerBytes.toString('utf8'));
    } catch (e) {
      fail(`header is not JSON (${(e as Error).message})`);
    }
    if (!header || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
    const dataStart = 8 + n;
    const dataLength = size - dataStart;
    const entries: HfTensorEntry[] = [];
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') {
        metadata = (raw ?? {}) as Record<string, string>;
        continue;
      }
      const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (!info || typeof info !== 'object') fail(`tensor '${name}' has no info object`);
      if (typeof info.dtype !== 'string' || !(info.dtype in ITEM_BYTES)) {
        throw new InvalidInputError(`${full}: tensor '${name}' is ${JSON.stringify(info.dtype)}; prefloop reads F32, F16 and BF16 weights: re-save the model in one of them (model.to(torch.bfloat16).save_pretrained(...))`);
      }
      const shape = info.shape as number[];
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
      const off = info.data_offsets as number[];
      if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1] || off[1] > dataLength) {
        fail(`tensor '${name}' has data_offsets ${JSON.stringify(off)} outside the ${dataLength} data bytes (truncated?)`);
      }
      const dtype = info.dtype as HfDType;
      const want = shape.reduce((a, b) => a * b, 1) * ITEM_BYTES[dtype];
      if (off[1] - off[0] !== want) fail(`tensor '${name}' spans ${off[1] - off[0]} bytes but ${dtype}[${shape.join(', ')}] needs ${want}`);
      entries.push({ name, dtype, shape, file, begin: dataStart + off[0], end: dataStart + off[1] });
    }
    entries.sort((a, b) => a.begin - b.begin);
    return { entries, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

/** Lists the directory's weights (headers only). */
export function readWeightsIndex(dir: string): HfWeightsIndex {
  const indexPath = path.join(dir, INDEX_FILE);
  let files: string[];
  let weightMap: Record<string, string> | undefined;
  if (fs.existsSync(indexPath)) {
    let index: { weight_map?: unknown };
    try {
      index = JSON.parse(fs.readFileSync(indexPath, 'utf8'));
    } catch (e) {
      throw new InvalidInputError(`${indexPath}: not readable JSON (${(e as Error).message})`);
    }
    const map = index?.weight_map;
    if (!map || typeof map !== 'object' || Array.isArray(map) || Object.values(map).some((f) => typeof f !== 'string')) {
      throw new InvalidInputError(`${indexPath}: weight_map must be an object of tensor name -> shard file name`);
    }
    weightMap = map as Record<string, string>;
    files = [...new Set(Object.values(weightMap))].sort();
    for (const f of files) {
      if (f.includes('/') || f.includes('\\') || f === '..') throw new InvalidInputError(`${indexPath}: shard ${JSON.stringify(f)} is not a file name in the model directory`);
      if (!fs.existsSync(path.join(dir, f))) {
        throw new InvalidInputError(`${indexPath}: names shard ${f}, which is missing from ${dir}; copy every model-0000k-of-0000n.safetensors file of the model`);
      }
    }
  } else if (fs.existsSync(path.join(dir, SINGLE_FILE))) {
    files = [SINGLE_FILE];
  } else {
    const bin = fs.existsSync(path.join(dir, 'pytorch_model.bin')) ? ' (it has pytorch_model.bin: load and re-save it with save_pretrained(safe_serialization=True))' : '';
    throw new InvalidInputError(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}${bin}; prefloop reads safetensors weights`);
  }
  const tensors: HfTensorEntry[] = [];
  let metadata: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const f of files) {
    const h = readHeader(dir, f);
    if (f === files[0]) metadata = h.metadata;
    for (const e of h.entries) {
      if (seen.has(e.name)) throw new InvalidInputError(`${path.join(dir, f)}: tensor '${e.name}' is also in ${seen.get(e.name)}; a tensor must be in one shard`);
      if (weightMap && weightMap[e.name] !== f) {
        throw new InvalidInputError(`${indexPath}: tensor '${e.name}' is in ${f} but weight_map says ${JSON.stringify(weightMap[e.name])}; the index does not match the shards`);
      }
      seen.set(e.name, f);
      tensors.push(e);
    }
  }
  if (weightMap) {
    for (const [name, f] of Object.entries(weightMap)) {
      if (!seen.has(name)) throw new InvalidInputError(`${indexPath}: tensor '${name}' is listed in ${f} but that shard does not hold it`);
    }
  }
  return { dir, files, tensors, metadata };
}

/** Buffers transformers may save beside the parameters; they are not weights and are carried through on export. */
const BUFFERS = [/(^|\.)attn\.(masked_)?bias$/, /\.rotary_emb\.inv_freq$/];

export type TensorRole = { kind: 'param'; param: string } | { kind: 'tied-head' } | { kind: 'buffer' };

/**
 * What a file tensor is to prefloop: a parameter (under prefloop's name: GPT2Model checkpoints save 'h.0...' where
 * GPT2LMHeadModel saves 'transformer.h.0...'), the tied head saved anyway, or a buffer; null when unknown.
 */
export function tensorRole(config: ResolvedModelConfig, name: string, params: Set<string>): TensorRole | null {
  if (params.has(name)) return { kind: 'param', param: name };
  if ((config.family ?? 'gpt2') === 'gpt2' && params.has(`transformer.${name}`)) return { kind: 'param', param: `transformer.${name}` };
  if (name === 'lm_head.weight' && config.tiedHead) return { kind: 'tied-head' };
  if (BUFFERS.some((re) => re.test(name))) return { kind: 'buffer' };
  return null;
}

/**
 * Checks that the file tensors are exactly the parameters config.json implies, with the same shapes; returns each
 * parameter's file entry. Throws before any weight is read.
 */
export function matchParameters(config: ResolvedModelConfig, index: HfWeightsIndex, configFile: string): Map<string, HfTensorEntry> {
  const specs = parameterSpecs(config, 'lm');
  const names = new Set(specs.map((s) => s.name));
  const found = new Map<string, HfTensorEntry>();
  for (const e of index.tensors) {
    const role = tensorRole(config, e.name, names);
    if (!role) {
      throw new InvalidInputError(`${path.join(index.dir, e.file)}: tensor '${e.name}' is not a parameter of a ${familyOf(config).name} model as ${configFile} describes it; check that config.json belongs to these weights`);
    }
    if (role.kind === 'param') found.set(role.param, e);
  }
  for (const s of specs) {
    const e = found.get(s.name);
    if (!e) {
      const hint = s.name === 'lm_head.weight' ? `; if the head is tied to the embedding, set tie_word_embeddings: true in ${configFile}` : `; check that ${configFile} belongs to these weights`;
      throw new InvalidInputError(`${index.dir}: the weights have no tensor '${s.name}' [${s.shape.join(', ')}]${hint}`);
    }
    if (e.shape.length !== s.shape.length || e.shape.some((d, i) => d !== s.shape[i])) {
      throw new InvalidInputError(`${path.join(index.dir, e.file)}: tensor '${e.name}' has shape [${e.shape.join(', ')}] but ${configFile} implies [${s.shape.join(', ')}]; config.json and the weights disagree`);
    }
  }
  return found;
}

/** Reads one tensor's bytes at its offsets. */
export function readTensorBytes(dir: string, e: HfTensorEntry, fd: number, into?: Uint8Array): Uint8Array {
  const bytes = into ?? new Uint8Array(e.end - e.begin);
  let done = 0;
  while (done < bytes.length) {
    const n = fs.readSync(fd, bytes, done, bytes.length - done, e.begin + done);
    if (n === 0) throw new InvalidInputError(`${path.join(dir, e.file)}: tensor '${e.name}' ends past the end of the file (truncated?)`);
    done += n;
  }
  return bytes;
}

/** One tensor widened to float32 (F32 read straight into its Float32Array). */
export function readTensorF32(dir: string, e: HfTensorEntry, fd: number): Float32Array {
  const count = e.shape.reduce((a, b) => a * b, 1);
  if (e.dtype === 'F32') {
    const out = new Float32Array(count);
    readTensorBytes(dir, e, fd, new Uint8Array(out.buffer));
    return out;
  }
  const raw = readTensorBytes(dir, e, fd);
  return halfToF32(e.dtype, new Uint16Array(raw.buffer, raw.byteOffset, count));
}

/** Every parameter in float32, in parameterSpecs order. */
export function loadParameters(config: ResolvedModelConfig, index: HfWeightsIndex, matched: Map<string, HfTensorEntry>): NamedTensors {
  const fds = new Map<string, number>();
  try {
    const weights: NamedTensors = new Map();
    for (const s of parameterSpecs(config, 'lm')) {
      const e = matched.get(s.name)!;
      let fd = fds.get(e.file);
      if (fd === undefined) {
        fd = fs.openSync(path.join(index.dir, e.file), 'r');
        fds.set(e.file, fd);
      }
      weights.set(s.name, { dtype: 'float32', shape: s.shape.slice(), data: readTensorF32(index.dir, e, fd) });
    }
    return weights;
  } finally {
    for (const fd of fds.values()) fs.closeSync(fd);
  }
}
