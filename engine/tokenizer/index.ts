import { charTokenizer } from './char';
import { loadHfTokenizer } from './hf';
import type { Tokenizer, TokenizerSpec } from './types';
import { wordTokenizer } from './word';
import { InvalidInputError } from '../errors';

export * from './types';
export * from './char';
export * from './word';
export * from './hf';

export function tokenizerFromSpec(spec: TokenizerSpec): Tokenizer {
  switch (spec.kind) {
    case 'char':
      return charTokenizer(spec.alphabet);
    case 'word':
      return wordTokenizer(spec.words);
    case 'hf':
      return loadHfTokenizer(spec.tokenizer, spec.config ?? {});
    default:
      throw new InvalidInputError(`unknown tokenizer kind ${JSON.stringify((spec as { kind?: unknown }).kind)}; expected char, word or hf`);
  }
}
