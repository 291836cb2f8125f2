/** A Hugging Face `tokenizer.json` (with optional `tokenizer_config.json`) behind prefloop's Tokenizer interface. */
import { promises as fs } from 'fs';
import * as path from 'path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { checkIds, type Tokenizer, type TokenizerSpec } from './types';
import { InvalidInputError } from '../errors';

type TokenRef = string | { content?: string } | null | undefined;

const CANDIDATES = {
  pad: ['<pad>', '[PAD]', '<|pad|>', '<|endoftext|>', '</s>', '<eos>'],
  bos: ['<bos>', '<s>', '[CLS]', '<|begin_of_text|>', '<|im_start|>', '<|endoftext|>'],
  eos: ['<eos>', '</s>', '[SEP]', '<|end_of_text|>', '<|eot_id|>', '<|im_end|>', '<|endoftext|>'],
  unk: ['<unk>', '[UNK]', '<|unk|>'],
};

function refContent(r: TokenRef): string | undefined {
  if (typeof r === 'string') return r;
  return r?.content ?? undefined;
}

export function loadHfTokenizer(json: string | object, config: object = {}, source = 'tokenizer.json'): Tokenizer {
  let tj: Record<string, any>;
  try {
    tj = typeof json === 'string' ? JSON.parse(json) : (json as Record<string, any>);
  } catch (e) {
    throw new InvalidInputError(`${source}: not JSON (${(e as Error).message})`);
  }
  if (!tj || typeof tj !== 'object' || typeof tj.model !== 'object' || tj.model === null) {
    throw new InvalidInputError(`${source}: has no "model" object; expected a Hugging Face tokenizer.json`);
  }
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(tj, config);
  } catch (e) {
    throw new InvalidInputError(`${source}: cannot build the tokenizer (${(e as Error).message})`);
  }
  const vocab = hf.get_vocab(true);
  let maxId = -1;
  for (const id of vocab.values()) maxId = Math.max(maxId, id);
  const vocabSize = maxId + 1;
  const cfg = config as Record<string, TokenRef>;
  const find = (kind: keyof typeof CANDIDATES): number => {
    const configured = refContent(cfg[`${kind}_token`]) ?? (kind === 'unk' ? refContent(tj.model.unk_token) : undefined);
    for (const name of configured ? [configured] : CANDIDATES[kind]) {
      const id = hf.token_to_id(name);
      if (id !== undefined) return id;
    }
    return -1;
  };
  const eosId = find('eos');
  if (eosId < 0) {
    throw new InvalidInputError(`${source}: no end-of-sequence token found; set eos_token in tokenizer_config.json (tried ${CANDIDATES.eos.join(', ')})`);
  }
  const bos = find('bos');
  const pad = find('pad');
  const unkId = find('unk');
  const bosId = bos >= 0 ? bos : eosId;
  // Padding is always masked, so reusing eos (as GPT-2 style models do) is harmless.
  const padId = pad >= 0 ? pad : eosId;
  const skip = new Set([padId, bosId, eosId]);
  return {
    vocabSize,
    padId,
    bosId,
    eosId,
    unkId,
    encode(text) {
      const { ids, tokens } = hf.encode(text, { add_special_tokens: false });
      // Some models (WordLevel in tokenizers.js) leave out-of-vocabulary ids undefined instead of mapping them to unk.
      return ids.map((id, i) => {
        if (id !== undefined && id !== null) return id;
        if (unkId >= 0) return unkId;
        throw new InvalidInputError(`${source}: token ${JSON.stringify(tokens[i])} is not in the vocabulary and there is no unk token`);
      });
    },
    decode(ids) {
      checkIds(ids, vocabSize, source);
      const kept = ids.filter((id) => !skip.has(id));
      // tokenizers.js refuses an empty list; an empty response (only a stop token) is the empty text.
      return kept.length === 0 ? '' : hf.decode(kept, { skip_special_tokens: false });
    },
    toJSON: (): TokenizerSpec => ({ kind: 'hf', tokenizer: tj, config }),
  };
}

/** Reads `tokenizer.json` and, when present, `tokenizer_config.json` from a model directory (an Optimum export). */
export async function loadHfTokenizerFromDir(dir: string): Promise<Tokenizer> {
  const file = path.join(dir, 'tokenizer.json');
  let json: string;
  try {
    json = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new InvalidInputError(`${file}: cannot read the tokenizer (${(e as Error).message}); a bring-your-own model directory needs a tokenizer.json`);
  }
  const configFile = path.join(dir, 'tokenizer_config.json');
  let config: object = {};
  try {
    config = JSON.parse(await fs.readFile(configFile, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new InvalidInputError(`${configFile}: not readable JSON (${(e as Error).message})`);
  }
  return loadHfTokenizer(json, config, file);
}
