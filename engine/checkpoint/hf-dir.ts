/**
 * A Hugging Face model directory with its text side: the model (hf-model.ts), its tokenizer (tokenizer.json +
 * tokenizer_config.json) and its chat template (chat_template.jinja, else tokenizer_config.json's chat_template).
 * Opened synchronously and cached per directory for the process, because tasks are built synchronously from a spec
 * and every step of a campaign asks for the same directory; only headers and small JSON files are read here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createChatTemplate, templateOfConfig, type ChatTemplate } from '../tokenizer/chat-template';
import { loadHfTokenizer } from '../tokenizer/hf';
import type { Tokenizer } from '../tokenizer/types';
import { InvalidInputError } from '../errors';
import { openHfModel, type HfModel } from './hf-model';

export interface HfModelDir {
  model: HfModel;
  tokenizer: Tokenizer;
  template?: ChatTemplate;
  /** Every stop token: generation_config.json's eos ids and the tokenizer's eos token. */
  stopTokens: number[];
}

function readJsonIfExists(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidInputError(`${file}: not readable JSON (${(e as Error).message})`);
  }
}

function open(dir: string): HfModelDir {
  const model = openHfModel(dir);
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const configFile = path.join(dir, 'tokenizer_config.json');
  const tokenizerConfig = readJsonIfExists(configFile) ?? {};
  const tokenizer = loadHfTokenizer(fs.readFileSync(tokenizerFile, 'utf8'), tokenizerConfig, tokenizerFile);
  if (tokenizer.vocabSize > model.config.vocab) {
    throw new InvalidInputError(`${tokenizerFile}: the tokenizer has ids up to ${tokenizer.vocabSize - 1} but ${path.join(dir, 'config.json')} vocab_size is ${model.config.vocab}; the tokenizer belongs to another model`);
  }
  const jinjaFile = path.join(dir, 'chat_template.jinja');
  let template: ChatTemplate | undefined;
  if (fs.existsSync(jinjaFile)) template = createChatTemplate(fs.readFileSync(jinjaFile, 'utf8'), tokenizerConfig, jinjaFile);
  else {
    const text = templateOfConfig(tokenizerConfig.chat_template, configFile);
    if (text !== undefined) template = createChatTemplate(text, tokenizerConfig, configFile);
  }
  const stopTokens = [...new Set([...model.eosIds, tokenizer.eosId])];
  return { model, tokenizer, template, stopTokens };
}

const cache = new Map<string, HfModelDir>();

/** The directory, opened once per process (bad input throws every time: nothing is cached then). */
export function openHfModelDir(dir: string): HfModelDir {
  const key = path.resolve(dir);
  let hit = cache.get(key);
  if (!hit) {
    hit = open(key);
    cache.set(key, hit);
  }
  return hit;
}

/**
 * A text prompt as the model reads it: through its chat template as one user message with the generation prompt
 * (transformers' apply_chat_template(add_generation_prompt=True), encoded without added special tokens) when the
 * model has a template and `useTemplate`; else the tokenizer's BOS followed by the text. The campaign's text task and
 * `prefloop generate` both use this.
 */
export function promptIds(hf: HfModelDir, text: string, useTemplate: boolean, where: string): number[] {
  if (hf.template && useTemplate) return hf.tokenizer.encode(hf.template.render([{ role: 'user', content: text }], { addGenerationPrompt: true, where }));
  return [hf.tokenizer.bosId, ...hf.tokenizer.encode(text)];
}
