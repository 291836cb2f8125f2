/** Character-level tokenizer: one id per Unicode code point of a fixed alphabet, after the 4 special tokens. */
import { builtInTokenizer } from './builtin';
import type { Tokenizer } from './types';
import { InvalidInputError } from '../errors';

/** Decoded text of an id outside the alphabet. */
export const UNKNOWN_CHAR = '\uFFFD';

export function charTokenizer(alphabet: string | string[]): Tokenizer {
  const chars = typeof alphabet === 'string' ? Array.from(alphabet) : [...alphabet];
  for (const c of chars) {
    if (Array.from(c).length !== 1) throw new InvalidInputError(`charTokenizer: alphabet entry ${JSON.stringify(c)} is not one character`);
  }
  return builtInTokenizer({
    who: 'charTokenizer',
    entry: 'character',
    pieces: chars,
    unknownText: UNKNOWN_CHAR,
    split: (text) => Array.from(text),
    join: (pieces) => pieces.join(''),
    toSpec: (pieces) => ({ kind: 'char', alphabet: pieces }),
  });
}

/** The alphabet is every code point of the corpus, sorted by code point: the same corpus, the same ids. */
export function charTokenizerFromCorpus(texts: string[]): Tokenizer {
  const set = new Set<string>();
  for (const t of texts) for (const c of t) set.add(c);
  return charTokenizer([...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
}
