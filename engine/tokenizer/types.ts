/** What every tokenizer of prefloop offers: built-in char / word tokenizers and HF tokenizer.json files alike. */
export interface Tokenizer {
  /** One more than the largest id: the model's vocab size. */
  readonly vocabSize: number;
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  /** -1 when the vocabulary has no unknown token (byte-level BPE covers every input). */
  readonly unkId: number;
  /** Ids of the text, without bos/eos. */
  encode(text: string): number[];
  /** Text of the ids; pad, bos and eos are skipped. */
  decode(ids: number[]): string;
  /** A JSON description from which tokenizerFromSpec() rebuilds the same tokenizer (stored with artifacts). */
  toJSON(): TokenizerSpec;
}

export type TokenizerSpec =
  | { kind: 'char'; alphabet: string[] }
  | { kind: 'word'; words: string[] }
  | { kind: 'hf'; tokenizer: object; config?: object };

/** The special tokens of the built-in tokenizers, at ids 0..3. */
export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;
export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const UNK_ID = 3;

/** decode()'s check of its argument; `who` names the tokenizer in the error. */
export function checkIds(ids: number[], vocabSize: number, who: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new RangeError(`${who}.decode: ids[${i}] = ${id} is outside the vocabulary [0, ${vocabSize})`);
    }
  }
}
