/** Character-level tokenizer: one id per Unicode code point of a fixed alphabet, after the 4 special tokens. */
import { BOS_ID, checkIds, EOS_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID, type Tokenizer, type TokenizerSpec } from './types';
import { InvalidInputError } from '../errors';

/** Decoded text of an id outside the alphabet. */
export const UNKNOWN_CHAR = '\uFFFD';

export function charTokenizer(alphabet: string | string[]): Tokenizer {
  const chars = typeof alphabet === 'string' ? Array.from(alphabet) : [...alphabet];
  const ids = new Map<string, number>();
  for (const c of chars) {
    if (Array.from(c).length !== 1) throw new InvalidInputError(`charTokenizer: alphabet entry ${JSON.stringify(c)} is not one character`);
    if (ids.has(c)) throw new InvalidInputError(`charTokenizer: character ${JSON.stringify(c)} appears twice in the alphabet`);
    ids.set(c, SPECIAL_TOKENS.length + ids.size);
  }
  const vocabSize = SPECIAL_TOKENS.length + chars.length;
  return {
    vocabSize,
    padId: PAD_ID,
    bosId: BOS_ID,
    eosId: EOS_ID,
    unkId: UNK_ID,
    encode: (text) => Array.from(text, (c) => ids.get(c) ?? UNK_ID),
    decode(list) {
      checkIds(list, vocabSize, 'charTokenizer');
      let out = '';
      for (const id of list) {
        if (id === PAD_ID || id === BOS_ID || id === EOS_ID) continue;
        out += id === UNK_ID ? UNKNOWN_CHAR : chars[id - SPECIAL_TOKENS.length];
      }
      return out;
    },
    toJSON: (): TokenizerSpec => ({ kind: 'char', alphabet: chars }),
  };
}

/** The alphabet is every code point of the corpus, sorted by code point: the same corpus, the same ids. */
export function charTokenizerFromCorpus(texts: string[]): Tokenizer {
  const set = new Set<string>();
  for (const t of texts) for (const c of t) set.add(c);
  return charTokenizer([...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
}
