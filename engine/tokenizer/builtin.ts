/**
 * What the char and word tokenizers share: ids 0..3 are the special tokens, the vocabulary follows in order,
 * encoding maps unknown pieces to <unk>, and decoding drops pad / bos / eos. They differ only in how text is split
 * into pieces and how decoded pieces are joined back.
 */
import { BOS_ID, checkIds, EOS_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID, type Tokenizer, type TokenizerSpec } from './types';
import { InvalidInputError } from '../errors';

export interface BuiltInVocabulary {
  /** Names the tokenizer in errors, e.g. 'charTokenizer'. */
  who: string;
  /** Names one vocabulary entry in errors, e.g. 'character'. */
  entry: string;
  /** The vocabulary after the special tokens, in id order; already checked to be valid pieces. */
  pieces: readonly string[];
  /** Decoded text of <unk>. */
  unknownText: string;
  split(text: string): string[];
  join(pieces: string[]): string;
  toSpec(pieces: string[]): TokenizerSpec;
}

export function builtInTokenizer(v: BuiltInVocabulary): Tokenizer {
  const pieces = [...v.pieces];
  const ids = new Map<string, number>();
  for (const p of pieces) {
    if (ids.has(p)) throw new InvalidInputError(`${v.who}: ${v.entry} ${JSON.stringify(p)} appears twice; list each ${v.entry} once`);
    ids.set(p, SPECIAL_TOKENS.length + ids.size);
  }
  const vocabSize = SPECIAL_TOKENS.length + pieces.length;
  return {
    vocabSize,
    padId: PAD_ID,
    bosId: BOS_ID,
    eosId: EOS_ID,
    unkId: UNK_ID,
    encode: (text) => v.split(text).map((p) => ids.get(p) ?? UNK_ID),
    decode(list) {
      checkIds(list, vocabSize, v.who);
      const kept = list.filter((id) => id !== PAD_ID && id !== BOS_ID && id !== EOS_ID);
      return v.join(kept.map((id) => (id === UNK_ID ? v.unknownText : pieces[id - SPECIAL_TOKENS.length])));
    },
    toJSON: () => v.toSpec([...pieces]),
  };
}
