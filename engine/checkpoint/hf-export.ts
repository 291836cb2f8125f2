/**
 * A policy back out as a Hugging Face model directory that transformers, vLLM and Optimum load unchanged: every file
 * of the source directory except its weights is copied (config.json, generation_config.json, tokenizer files, chat
 * template), and the weights keep the source's layout: the same files (model.safetensors, or the same shards with the
 * same model.safetensors.index.json), each holding the tensors its source file held, under their original names, in
 * their original dtype and order: parameters from the policy (narrowed back to F16 / BF16 where the source was), a
 * tied head saved anyway from the embedding, and buffers copied byte for byte. A model that went in and comes out
 * untrained has tensor-for-tensor identical bytes, and a sharded model stays in shards of the sizes its publisher
 * chose (loaders that map one shard at a time keep working). Files are written tensor by tensor (never a whole file in one buffer),
 * into a temporary directory renamed into place at the end, and an existing non-empty --out is refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NamedTensors, ResolvedModelConfig } from '../model/api';
import { familyOf, parameterSpecs } from '../model/gpt';
import { InvalidInputError } from '../errors';
import { f32ToHalf } from './dtypes';
import { openHfModel } from './hf-model';
import { INDEX_FILE, readTensorBytes, tensorRole, type HfTensorEntry } from './hf-weights';

const WEIGHT_FILE = /\.safetensors$|^model\.safetensors\.index\.json$|^pytorch_model.*\.bin$|^pytorch_model\.bin\.index\.json$/;

function sameConfig(a: ResolvedModelConfig, b: ResolvedModelConfig): boolean {
  const strip = ({ contextSource: _c, ...rest }: ResolvedModelConfig) => JSON.stringify(Object.entries(rest).sort(([x], [y]) => (x < y ? -1 : 1)));
  return strip(a) === strip(b);
}

/** The bytes one exported tensor holds. */
function tensorBytes(e: HfTensorEntry, data: Float32Array): Uint8Array {
  if (e.dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const half = f32ToHalf(e.dtype, data);
  return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
}

/** One safetensors file: the header first (sizes are known from the source), then each tensor's bytes in order. */
function writeSafetensors(file: string, entries: HfTensorEntry[], metadata: Record<string, string>, bytesOf: (e: HfTensorEntry) => Uint8Array): number {
  const header: Record<string, unknown> = { __metadata__: Object.keys(metadata).length > 0 ? metadata : { format: 'pt' } };
  let offset = 0;
  for (const e of entries) {
    const n = e.end - e.begin;
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const out = fs.openSync(file, 'w');
  try {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    fs.writeSync(out, length);
    fs.writeSync(out, Buffer.from(json, 'utf8'));
    for (const e of entries) fs.writeSync(out, bytesOf(e));
  } finally {
    fs.closeSync(out);
  }
  return offset;
}

export interface ExportResult {
  dir: string;
  files: string[];
  tensors: number;
  bytes: number;
}

/**
 * Writes `weights` (a policy of `config`, trained from the model in `sourceDir`) as a Hugging Face directory `outDir`.
 */
export function exportHfModel(sourceDir: string, config: ResolvedModelConfig, weights: NamedTensors, outDir: string): ExportResult {
  const source = openHfModel(sourceDir);
  if (!sameConfig(source.config, config)) {
    throw new InvalidInputError(`${path.join(sourceDir, 'config.json')}: the policy was trained from a model with another config (${familyOf(config).name}, ${config.layers} layers, d ${config.dModel}); export needs the model directory the campaign started from, unchanged`);
  }
  const specs = parameterSpecs(config, 'lm');
  for (const s of specs) {
    const t = weights.get(s.name);
    if (!t || t.shape.join(',') !== s.shape.join(',')) throw new InvalidInputError(`export: the policy has no tensor '${s.name}' [${s.shape.join(', ')}]; it is not a checkpoint of this model`);
  }
  if (fs.existsSync(outDir) && (!fs.statSync(outDir).isDirectory() || fs.readdirSync(outDir).length > 0)) {
    throw new InvalidInputError(`--out ${outDir}: already exists and is not an empty directory; choose a new directory (nothing was written)`);
  }
  const tmp = `${outDir.replace(/\/+$/, '')}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    const files: string[] = [];
    for (const f of fs.readdirSync(sourceDir).sort()) {
      const from = path.join(sourceDir, f);
      if (WEIGHT_FILE.test(f) || f === INDEX_FILE || !fs.statSync(from).isFile()) continue;
      fs.copyFileSync(from, path.join(tmp, f));
      files.push(f);
    }
    const names = new Set(specs.map((s) => s.name));
    const embedding = familyOf(config).embedding;
    const fds = new Map<string, number>();
    const bytesOf = (e: HfTensorEntry): Uint8Array => {
      const role = tensorRole(config, e.name, names);
      if (role?.kind === 'param') return tensorBytes(e, weights.get(role.param)!.data);
      if (role?.kind === 'tied-head') return tensorBytes(e, weights.get(embedding)!.data);
      let fd = fds.get(e.file);
      if (fd === undefined) {
        fd = fs.openSync(path.join(sourceDir, e.file), 'r');
        fds.set(e.file, fd);
      }
      return readTensorBytes(sourceDir, e, fd);
    };
    let total = 0;
    try {
      for (const file of source.index.files) {
        total += writeSafetensors(path.join(tmp, file), source.index.tensors.filter((e) => e.file === file), source.index.metadata, bytesOf);
        files.push(file);
      }
    } finally {
      for (const fd of fds.values()) fs.closeSync(fd);
    }
    // Names, dtypes and shapes are the source's, so its index (weight_map, total_size) describes the copy exactly.
    if (fs.existsSync(path.join(sourceDir, INDEX_FILE))) {
      fs.copyFileSync(path.join(sourceDir, INDEX_FILE), path.join(tmp, INDEX_FILE));
      files.push(INDEX_FILE);
    }
    if (fs.existsSync(outDir)) fs.rmdirSync(outDir);
    fs.renameSync(tmp, outDir);
    return { dir: outDir, files: files.sort(), tensors: source.index.tensors.length, bytes: total };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
