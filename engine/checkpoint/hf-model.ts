/**
 * A Hugging Face model directory, opened: config.json read into a model config, generation_config.json's stop
 * tokens, every weight file's header matched against the config, and the memory the model needs estimated, all
 * before any weight is read. loadHfModelWeights() then reads the weights (see hf-weights.ts for how memory stays
 * bounded). Files: config.json, model.safetensors or shards + model.safetensors.index.json, tokenizer.json,
 * tokenizer_config.json, optional generation_config.json and chat_template.jinja.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NamedTensors, ResolvedModelConfig } from '../model/api';
import { parameterSpecs } from '../model/gpt';
import { InvalidInputError } from '../errors';
import { hfConfigFromJson } from './hf-config';
import { loadParameters, matchParameters, readWeightsIndex, type HfTensorEntry, type HfWeightsIndex } from './hf-weights';

export interface HfModel {
  dir: string;
  config: ResolvedModelConfig;
  /** config.json as read. */
  configJson: Record<string, unknown>;
  /** Stop tokens: generation_config.json's eos_token_id (one id or a list), else config.json's. */
  eosIds: number[];
  index: HfWeightsIndex;
  /** File entry of every parameter. */
  matched: Map<string, HfTensorEntry>;
  parameters: number;
}

function readJson(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InvalidInputError(`${file}: cannot read ${what} (${(e as Error).message}); a Hugging Face model directory needs it (save_pretrained writes it)`);
  }
  try {
    const json = JSON.parse(text);
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not an object');
    return json;
  } catch (e) {
    throw new InvalidInputError(`${file}: not a JSON object (${(e as Error).message})`);
  }
}

function idList(value: unknown, vocab: number, where: string): number[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  for (const id of list) {
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new InvalidInputError(`${where}: ${JSON.stringify(id)} is not a token id of this model (0..${vocab - 1})`);
  }
  return list as number[];
}

/**
 * Float32 bytes of the weights, and what training holds at least: weights, gradients, two AdamW moments and the
 * reference policy's weights, five float32 copies (as engine/resources/estimate.ts counts the built-in policy).
 */
export function hfMemoryEstimate(config: ResolvedModelConfig): { parameters: number; weightsBytes: number; trainingBytes: number } {
  const parameters = parameterSpecs(config, 'lm').reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  return { parameters, weightsBytes: parameters * 4, trainingBytes: parameters * 20 };
}

const GiB = 2 ** 30;

/**
 * Refuses a model whose float32 weights (`purpose` 'inference') or training state (weights, gradients, AdamW moments:
 * 'training') would not fit in this machine's memory, with the estimate; activations come on top.
 */
export function checkModelFits(model: HfModel, purpose: 'inference' | 'training', totalBytes = os.totalmem()): void {
  const est = hfMemoryEstimate(model.config);
  const need = purpose === 'training' ? est.trainingBytes : est.weightsBytes;
  if (need > totalBytes * 0.9) {
    const what = purpose === 'training' ? '20 bytes per parameter: float32 weights, gradients, two AdamW moments and the reference' : '4 bytes per parameter: float32 weights';
    throw new InvalidInputError(`${model.dir}: ${(est.parameters / 1e6).toFixed(1)}M parameters need at least ${(need / GiB).toFixed(2)} GiB for ${purpose} (${what}, before activations), more than 90% of this machine's ${(totalBytes / GiB).toFixed(2)} GiB; use a smaller model or a machine with more memory`);
  }
}

/** Everything about a model directory that needs no weights: fails on bad input before any compute. */
export function openHfModel(dir: string): HfModel {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new InvalidInputError(`${dir}: no such model directory; policy.path names a directory (under the store root) that holds config.json, the safetensors weights and tokenizer.json`);
  }
  if (!stat.isDirectory()) throw new InvalidInputError(`${dir}: not a directory; give the model's directory (config.json, model.safetensors, tokenizer.json), not a file`);
  const configFile = path.join(dir, 'config.json');
  const configJson = readJson(configFile, 'the model config');
  const config = hfConfigFromJson(configJson, configFile);
  if (!fs.existsSync(path.join(dir, 'tokenizer.json'))) {
    throw new InvalidInputError(`${path.join(dir, 'tokenizer.json')}: missing; prefloop tokenizes with the model's own tokenizer.json (tokenizer.save_pretrained(dir) writes it)`);
  }
  const index = readWeightsIndex(dir);
  const matched = matchParameters(config, index, configFile);
  const genFile = path.join(dir, 'generation_config.json');
  const gen = fs.existsSync(genFile) ? readJson(genFile, 'the generation config') : {};
  const eosIds = idList(gen.eos_token_id, config.vocab, `${genFile} eos_token_id`) ?? idList(configJson.eos_token_id, config.vocab, `${configFile} eos_token_id`) ?? [];
  return { dir, config, configJson, eosIds, index, matched, parameters: hfMemoryEstimate(config).parameters };
}

/** The model's parameters in float32 (prefloop's names, parameterSpecs order). */
export function loadHfModelWeights(model: HfModel): NamedTensors {
  return loadParameters(model.config, model.index, model.matched);
}
