/**
 * A prefloop checkpoint is one safetensors file: the weights under their own names, the AdamW moments as
 * `optimizer.m.<param>` / `optimizer.v.<param>`, and in `__metadata__` the model config (JSON) and the
 * optimizer step. Standard safetensors readers load the weights; prefloop restores the whole TrainState.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { NamedTensors, ResolvedModelConfig, TrainState } from '../model/api';
import { CheckpointFormatError, decodeSafetensors, safetensorsChunks, SafetensorsReader, type RawTensor } from './safetensors';

export const CHECKPOINT_FORMAT = 'prefloop.checkpoint.v1';
const M = 'optimizer.m.';
const V = 'optimizer.v.';

export interface PolicyCheckpoint {
  config: ResolvedModelConfig;
  /** m and v may be empty maps for a weights-only checkpoint (e.g. pi0 exported for inference). */
  state: TrainState;
}

export type LoadedCheckpoint = PolicyCheckpoint & { metadata: Record<string, string> };

function toRaw(t: { shape: number[]; data: Float32Array }): RawTensor {
  return { dtype: 'F32', shape: t.shape, data: t.data };
}

function addAll(out: Map<string, RawTensor>, prefix: string, tensors: NamedTensors): void {
  for (const [name, t] of tensors) out.set(prefix + name, toRaw(t));
}

function weightsOf(tensors: Map<string, RawTensor>, source: string): NamedTensors {
  const weights: NamedTensors = new Map();
  for (const [name, t] of tensors) {
    if (t.dtype !== 'F32') throw new CheckpointFormatError(`${source}: tensor '${name}' is ${t.dtype}; model weights must be F32`);
    weights.set(name, { dtype: 'float32', shape: t.shape, data: t.data as Float32Array });
  }
  return weights;
}

/** The checkpoint file as chunks (the header, then views of the state's own arrays): store.putChunks streams it. */
export function checkpointChunks(ckpt: PolicyCheckpoint, extra: Record<string, string> = {}): Uint8Array[] {
  const { state, config } = ckpt;
  for (const [label, moments] of [['m', state.m], ['v', state.v]] as const) {
    if (moments.size === 0) continue;
    for (const [name, w] of state.weights) {
      const mt = moments.get(name);
      if (!mt) throw new Error(`checkpoint: optimizer state ${label} has no entry for parameter '${name}'`);
      if (mt.data.length !== w.data.length) throw new Error(`checkpoint: optimizer ${label}.${name} has ${mt.data.length} values, parameter has ${w.data.length}`);
    }
  }
  const all = new Map<string, RawTensor>();
  addAll(all, '', state.weights);
  addAll(all, M, state.m);
  addAll(all, V, state.v);
  return safetensorsChunks(all, {
    ...extra,
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(config),
    step: String(state.step),
  });
}

export function encodeCheckpoint(ckpt: PolicyCheckpoint, extra: Record<string, string> = {}): Uint8Array {
  return Buffer.concat(checkpointChunks(ckpt, extra));
}

const CONFIG_KEYS: (keyof ResolvedModelConfig)[] = ['vocab', 'dModel', 'layers', 'heads', 'context', 'tiedHead'];

function parseConfig(text: string | undefined, source: string): ResolvedModelConfig {
  if (text === undefined) throw new CheckpointFormatError(`${source}: __metadata__ has no 'config'; not a prefloop checkpoint`);
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new CheckpointFormatError(`${source}: __metadata__.config is not JSON (${(e as Error).message})`);
  }
  for (const k of CONFIG_KEYS) {
    const ok = k === 'tiedHead' ? typeof c[k] === 'boolean' : Number.isInteger(c[k]) && (c[k] as number) > 0;
    if (!ok) throw new CheckpointFormatError(`${source}: __metadata__.config.${k} is ${JSON.stringify(c[k])}`);
  }
  return c as unknown as ResolvedModelConfig;
}

/** Reads a checkpoint of `totalBytes` from chunks: memory is the state plus one chunk (never the file too). */
export async function readCheckpoint(chunks: AsyncIterable<Uint8Array>, totalBytes: number, source = 'checkpoint'): Promise<LoadedCheckpoint> {
  const reader = new SafetensorsReader(totalBytes, source);
  for await (const chunk of chunks) reader.push(chunk);
  const { tensors, metadata } = reader.finish();
  return checkpointOf(weightsOf(tensors, source), metadata, source);
}

export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): LoadedCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  return checkpointOf(weightsOf(tensors, source), metadata, source);
}

function checkpointOf(all: NamedTensors, metadata: Record<string, string>, source: string): LoadedCheckpoint {
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointFormatError(`${source}: __metadata__.format is ${JSON.stringify(metadata.format)}, expected '${CHECKPOINT_FORMAT}'`);
  }
  const config = parseConfig(metadata.config, source);
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) throw new CheckpointFormatError(`${source}: __metadata__.step is ${JSON.stringify(metadata.step)}`);
  const weights: NamedTensors = new Map();
  const m: NamedTensors = new Map();
  const v: NamedTensors = new Map();
  for (const [name, t] of all) {
    if (name.startsWith(M)) m.set(name.slice(M.length), t);
    else if (name.startsWith(V)) v.set(name.slice(V.length), t);
    else weights.set(name, t);
  }
  for (const [label, moments] of [['m', m], ['v', v]] as const) {
    if (moments.size === 0) continue;
    for (const [name, w] of weights) {
      const mt = moments.get(name);
      if (!mt) throw new CheckpointFormatError(`${source}: optimizer.${label}.${name} is missing`);
      if (mt.shape.join(',') !== w.shape.join(',')) throw new CheckpointFormatError(`${source}: optimizer.${label}.${name} has shape [${mt.shape}] but the parameter has [${w.shape}]`);
    }
    if (moments.size !== weights.size) {
      const stray = [...moments.keys()].find((k) => !weights.has(k));
      throw new CheckpointFormatError(`${source}: optimizer.${label}.${stray} has no matching parameter`);
    }
  }
  return { config, state: { weights, m, v, step }, metadata };
}

/** Atomic: written to a temporary file in the same directory, then renamed over the target. */
export async function saveCheckpoint(file: string, ckpt: PolicyCheckpoint, extra: Record<string, string> = {}): Promise<void> {
  const bytes = encodeCheckpoint(ckpt, extra);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, file);
}

export async function loadCheckpoint(file: string): Promise<LoadedCheckpoint> {
  return decodeCheckpoint(await fs.readFile(file), file);
}
