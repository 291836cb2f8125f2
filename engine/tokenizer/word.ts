/**
 * Word-level tokenizer for built-in tasks: words (letters, digits, _ and ') and single punctuation marks are
 * tokens; whitespace only separates. decode() puts one space between tokens except before closing punctuation
 * and after opening brackets, so decode(encode(s)) === s for text written that way.
 */
import { BOS_ID, checkIds, EOS_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID, type Tokenizer, type TokenizerSpec } from './types';
import { InvalidInputError } from '../errors';

const TOKEN = /[\p{L}\p{N}_']+|[^\s\p{L}\p{N}_']/gu;
const NO_SPACE_BEFORE = new Set(['.', ',', '!', '?', ';', ':', ')', ']', '}', '%']);
const NO_SPACE_AFTER = new Set(['(', '[', '{']);

export function splitWords(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

export function wordTokenizer(words: string[]): Tokenizer {
  const ids = new Map<string, number>();
  for (const w of words) {
    if (splitWords(w).length !== 1 || splitWords(w)[0] !== w) throw new InvalidInputError(`wordTokenizer: ${JSON.stringify(w)} is not a single word token`);
    if (ids.has(w)) throw new InvalidInputError(`wordTokenizer: word ${JSON.stringify(w)} appears twice`);
    ids.set(w, SPECIAL_TOKENS.length + ids.size);
  }
  const vocabSize = SPECIAL_TOKENS.length + words.length;
  return {
    vocabSize,
    padId: PAD_ID,
    bosId: BOS_ID,
    eosId: EOS_ID,
    unkId: UNK_ID,
    encode: (text) => splitWords(text).map((w) => ids.get(w) ?? UNK_ID),
    decode(list) {
      checkIds(list, vocabSize, 'wordTokenizer');
      let out = '';
      let prev = '';
      for (const id of list) {
        if (id === PAD_ID || id === BOS_ID || id === EOS_ID) continue;
        const w = id === UNK_ID ? SPECIAL_TOKENS[UNK_ID] : words[id - SPECIAL_TOKENS.length];
        if (out.length > 0 && !NO_SPACE_BEFORE.has(w) && !NO_SPACE_AFTER.has(prev)) out += ' ';
        out += w;
        prev = w;
      }
      return out;
    },
    toJSON: (): TokenizerSpec => ({ kind: 'word', words: [...words] }),
  };
}

export interface WordVocabOptions {
  /** Words seen fewer times become <unk> (default 1: keep all). */
  minCount?: number;
  /** Keep at most this many words (the most frequent). */
  maxVocab?: number;
}

/** Vocabulary by descending count, ties in code-unit order: deterministic for a given corpus. */
export function wordTokenizerFromCorpus(texts: string[], opts: WordVocabOptions = {}): Tokenizer {
  const minCount = opts.minCount ?? 1;
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of splitWords(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  let words = [...counts.entries()]
    .filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([w]) => w);
  if (opts.maxVocab !== undefined) words = words.slice(0, opts.maxVocab);
  return wordTokenizer(words);
}
