/**
 * The text task: short English prompts ("describe the small dog") and short answers, word-level tokens.
 * The gold reward is programmatic: mention the prompt's subject and attribute, say something positive, avoid
 * negativity and wrong subjects, finish the answer, do not repeat yourself. The labeler (simulated human, 'gold'
 * reward source) judges by gold plus a verbosity bias of VERBOSITY_BONUS per word, as human raters and reward
 * models tend to: a policy can game the labels by growing its answers (padding repeats words, which gold
 * penalizes), and `reward.lengthPenalty` = VERBOSITY_BONUS (r - lambda*|a|) cancels the bias exactly.
 */
import { rngFor, streamId, type Rng } from '../sampling/rng';
import { BOS_ID, EOS_ID, SPECIAL_TOKENS, UNK_ID, wordTokenizer } from '../tokenizer';
import type { PromptResponse, Task } from './types';
import { InvalidInputError } from '../errors';

export const NOUNS = ['cat', 'dog', 'bird', 'fish', 'horse', 'tree', 'river', 'house', 'car', 'book'];
export const ADJECTIVES = ['red', 'small', 'big', 'happy', 'old', 'quiet', 'fast', 'green'];
export const POSITIVE = ['good', 'nice', 'great', 'lovely'];
export const NEGATIVE = ['bad', 'dull', 'ugly'];
const FILLER = ['the', 'a', 'is', 'it', 'and', 'very', 'really', 'so', 'also', 'quite', 'looks'];
const PROMPT_WORDS = ['describe', 'tell', 'me', 'about', 'what', 'like'];
export const VERBOSITY_BONUS = 0.2;

/** The task's word-level tokenizer: ids 0..3 are <pad>, <bos>, <eos>, <unk>, then the words in sorted order. */
export const TOKENIZER = wordTokenizer([...new Set([...NOUNS, ...ADJECTIVES, ...POSITIVE, ...NEGATIVE, ...FILLER, ...PROMPT_WORDS])].sort());
const WORDS = [...SPECIAL_TOKENS, ...(TOKENIZER.toJSON() as { words: string[] }).words];
const BOS = BOS_ID, EOS = EOS_ID;

export function encodeWords(text: string): number[] {
  const ids = TOKENIZER.encode(text);
  if (ids.includes(UNK_ID)) throw new Error(`text task: '${text}' has a word outside the task vocabulary`);
  return ids;
}

export function decodeWords(ids: number[]): string {
  return TOKENIZER.decode(ids);
}

export interface TextConfig { trainPrompts: number; evalPrompts: number; maxResponseWords: number }

const pick = <T>(xs: T[], rng: Rng): T => xs[rng.nextInt(xs.length)];

function makePrompt(rng: Rng): number[] {
  const noun = pick(NOUNS, rng), adj = pick(ADJECTIVES, rng);
  const forms = [`describe the ${adj} ${noun}`, `tell me about the ${adj} ${noun}`, `what is the ${adj} ${noun} like`];
  return [BOS, ...encodeWords(pick(forms, rng))];
}

/** The subject noun and attribute adjective a prompt asks about. */
function subject(prompt: number[]): { noun: number; adj: number } {
  const noun = prompt.find((t) => NOUNS.includes(WORDS[t])) ?? -1;
  const adj = prompt.find((t) => ADJECTIVES.includes(WORDS[t])) ?? -1;
  return { noun, adj };
}

export function createText(config: TextConfig, seed: number): Task {
  const rng = rngFor(seed, streamId('task/text'));
  const trainPrompts = Array.from({ length: config.trainPrompts }, () => makePrompt(rng));
  const evalPrompts = Array.from({ length: config.evalPrompts }, () => makePrompt(rng));
  const maxWords = config.maxResponseWords;

  // phi: [mentions subject, mentions attribute, says something positive, #negative, #wrong nouns, #repeated words, unfinished, #words]
  const features = (x: number[], a: number[]): number[] => {
    const { noun, adj } = subject(x);
    const words = a.filter((t) => t !== EOS);
    const has = (id: number): number => (words.includes(id) ? 1 : 0);
    const count = (set: string[]): number => words.filter((t) => set.includes(WORDS[t])).length;
    return [
      has(noun), has(adj), Math.min(1, count(POSITIVE)), count(NEGATIVE),
      words.filter((t) => NOUNS.includes(WORDS[t]) && t !== noun).length,
      words.length - new Set(words).size, a[a.length - 1] === EOS ? 0 : 1, words.length,
    ];
  };
  const weights = [1, 1, 0.5, -1, -0.5, -0.25, -1, 0];
  const raterWeights = [...weights.slice(0, -1), VERBOSITY_BONUS];
  const dot = (w: number[], phi: number[]) => phi.reduce((s, f, k) => s + w[k] * f, 0);

  const baseResponse = (x: number[], r: Rng): number[] => {
    const { noun, adj } = subject(x);
    const out: string[] = [];
    const target = 2 + r.nextInt(Math.max(1, maxWords - 1));
    while (out.length < target) {
      const u = r.next();
      if (u < 0.15) out.push(WORDS[noun]);
      else if (u < 0.25) out.push(WORDS[adj]);
      else if (u < 0.35) out.push(pick(NOUNS, r));
      else if (u < 0.45) out.push(pick(ADJECTIVES, r));
      else if (u < 0.55) out.push(pick(POSITIVE, r));
      else if (u < 0.62) out.push(pick(NEGATIVE, r));
      else out.push(pick(FILLER, r));
    }
    return [...encodeWords(out.slice(0, maxWords).join(' ')), EOS];
  };

  return {
    name: 'text',
    vocab: TOKENIZER.vocabSize,
    trainPrompts,
    evalPrompts,
    maxNewTokens: maxWords + 1,
    stopTokens: [EOS],
    enumerable: false,
    hasGold: true,
    featureDim: weights.length,
    features,
    gold: (x, a) => dot(weights, features(x, a)),
    raterReward: (x, a) => dot(raterWeights, features(x, a)),
    baseSamples: (r, howMany): PromptResponse[] => Array.from({ length: howMany }, () => {
      const x = trainPrompts[r.nextInt(trainPrompts.length)];
      return { prompt: x, response: baseResponse(x, r) };
    }),
    allResponses: () => { throw new InvalidInputError('text task: responses cannot be enumerated; use evaluation.exact = false'); },
    responseLength: (a) => a.filter((t) => t !== EOS).length,
    render: decodeWords,
  };
}
