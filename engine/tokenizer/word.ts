/**
 * Word-level tokenizer for built-in tasks: words (letters, digits, _ and ') and single punctuation marks are
 * tokens; whitespace only separates. decode() puts one space between tokens except before closing punctuation
 * and after opening brackets, so decode(encode(s)) === s for text written that way.
 */
import { builtInTokenizer } from './builtin';
import { SPECIAL_TOKENS, UNK_ID, type Tokenizer } from './types';
import { InvalidInputError } from '../errors';

const TOKEN = /[\p{L}\p{N}_']+|[^\s\p{L}\p{N}_']/gu;
const NO_SPACE_BEFORE = new Set(['.', ',', '!', '?', ';', ':', ')', ']', '}', '%']);
const NO_SPACE_AFTER = new Set(['(', '[', '{']);

export function splitWords(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** Words and marks back into text: one space between pieces, none before closing or after opening punctuation. */
function joinWords(pieces: string[]): string {
  let out = '';
  let prev = '';
  for (const w of pieces) {
    if (out.length > 0 && !NO_SPACE_BEFORE.has(w) && !NO_SPACE_AFTER.has(prev)) out += ' ';
    out += w;
    prev = w;
  }
  return out;
}

export function wordTokenizer(words: string[]): Tokenizer {
  for (const w of words) {
    const pieces = splitWords(w);
    if (pieces.length !== 1 || pieces[0] !== w) throw new InvalidInputError(`wordTokenizer: ${JSON.stringify(w)} is not a single word token`);
  }
  return builtInTokenizer({
    who: 'wordTokenizer',
    entry: 'word',
    pieces: words,
    unknownText: SPECIAL_TOKENS[UNK_ID],
    split: splitWords,
    join: joinWords,
    toSpec: (pieces) => ({ kind: 'word', words: pieces }),
  });
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
