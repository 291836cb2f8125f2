import { createText, decodeWords, encodeWords, VERBOSITY_BONUS } from '../../../engine/tasks/text';
import { lengthPenalized } from '../../../engine/preference/length-penalty';
import { rngFor } from '../../../engine/sampling/rng';
import { EOS_ID } from '../../../engine/tokenizer';

describe('text task', () => {
  const task = createText({ trainPrompts: 30, evalPrompts: 5, maxResponseWords: 8 }, 3);
  const prompt = [1, ...encodeWords('describe the small dog')];

  it('has human-readable prompts that round-trip through the word tokenizer', () => {
    for (const p of task.trainPrompts) {
      const text = decodeWords(p);
      expect(text).toMatch(/^(describe|tell me about|what is) the \w+ \w+( like)?$/);
      expect(encodeWords(text)).toEqual(p.slice(1));
    }
  });

  it('rewards answering the prompt and penalizes wrong subjects, negativity, repetition and unfinished answers', () => {
    const r = (text: string) => task.gold(prompt, [...encodeWords(text), EOS_ID]);
    expect(r('the small dog is nice')).toBeGreaterThan(r('the dog is nice'));
    expect(r('the dog is nice')).toBeGreaterThan(r('the cat is nice'));
    expect(r('the small dog is nice')).toBeGreaterThan(r('the small dog is ugly'));
    expect(r('the small dog is nice')).toBeGreaterThan(r('the small dog is nice nice nice'));
    expect(task.gold(prompt, encodeWords('the small dog is nice'))).toBeLessThan(r('the small dog is nice'));
  });

  it('the labeler can be gamed by length, gold cannot, and the length penalty at lambda = VERBOSITY_BONUS removes the bias', () => {
    const short = [...encodeWords('the small dog is nice'), EOS_ID];
    const padded = [...encodeWords('the small dog is really so very nice'), EOS_ID];
    expect(task.raterReward(prompt, padded)).toBeGreaterThan(task.raterReward(prompt, short));
    expect(task.gold(prompt, padded)).toBe(task.gold(prompt, short));
    for (const a of [short, padded]) {
      expect(lengthPenalized(task.raterReward(prompt, a), task.responseLength(a), VERBOSITY_BONUS)).toBeCloseTo(task.gold(prompt, a), 12);
    }
  });

  it('base samples end with <eos> within maxResponseWords words', () => {
    for (const s of task.baseSamples(rngFor(4), 200)) {
      expect(s.response[s.response.length - 1]).toBe(EOS_ID);
      expect(task.responseLength(s.response)).toBeLessThanOrEqual(8);
      expect(s.response.length).toBeLessThanOrEqual(task.maxNewTokens);
    }
  });
});
