import * as path from 'node:path';
import { tokenizePreferenceRows } from '../../../engine/data/pair-tokens';
import { preferenceRows } from '../../../engine/data/preference-pairs';
import { parseJsonlRows } from '../../../engine/data/rows';
import { loadChatTemplate } from '../../../engine/tokenizer/chat-template';
import { loadHfTokenizerFromDir } from '../../../engine/tokenizer/hf';

const MODEL = path.join(__dirname, '..', '..', 'fixtures', 'reward-model');
const rows = (...lines: unknown[]) => preferenceRows(parseJsonlRows(lines.map((l) => JSON.stringify(l)).join('\n'), 'pairs.jsonl'));

describe('offline.pairs tokenized for training (TRL\'s DPO tokenization)', () => {
  it('standard and conversational pairs: prompt as the policy reads it, completions followed by eos, scores as rewards', async () => {
    const tokenizer = await loadHfTokenizerFromDir(MODEL);
    const p = { tokenizer, template: await loadChatTemplate(MODEL), modelDir: MODEL, context: 128 };
    const { pairs, skipped } = tokenizePreferenceRows(rows(
      { prompt: 'The sky is', chosen: ' blue.', rejected: ' green.', score_chosen: 8, score_rejected: 2.5 },
      { prompt: [{ role: 'user', content: 'Hi?' }], chosen: [{ role: 'assistant', content: 'Hello.' }], rejected: [{ role: 'assistant', content: 'Go away.' }] },
    ), p);
    expect(skipped).toBe(0);
    const [a, b] = pairs;
    expect(tokenizer.decode(a.prompt)).toBe('The sky is');
    expect(a.chosen[a.chosen.length - 1]).toBe(tokenizer.eosId);
    expect(tokenizer.decode(a.chosen)).toBe(' blue.');
    expect([a.chosenReward, a.rejectedReward, a.margin]).toEqual([8, 2.5, 5.5]);
    expect(a.provenance.labeler).toBe('dataset');
    expect(tokenizer.decode(b.prompt)).toBe('<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n');
    expect(tokenizer.decode(b.rejected)).toBe('Go away.<|im_end|>\n');
    expect([b.chosenReward, b.rejectedReward]).toEqual([1, 0]);
  });

  it('skips and counts pairs longer than the context, and refuses when none fits', async () => {
    const p = { tokenizer: await loadHfTokenizerFromDir(MODEL), template: undefined, modelDir: MODEL, context: 12 };
    const long = 'The sky is blue and the grass is green. '.repeat(3);
    const { pairs, skipped } = tokenizePreferenceRows(rows({ prompt: 'a', chosen: 'b', rejected: 'c' }, { prompt: 'a', chosen: long, rejected: 'c' }), p);
    expect([pairs.length, skipped]).toEqual([1, 1]);
    expect(() => tokenizePreferenceRows(rows({ prompt: long, chosen: 'b', rejected: 'c' }), p)).toThrow(/^offline\.pairs: none of the 1 pairs fits the model's context of 12 tokens/);
    expect(() => tokenizePreferenceRows(rows({ prompt: [{ role: 'user', content: 'q' }], chosen: [{ role: 'assistant', content: 'a' }], rejected: [{ role: 'assistant', content: 'b' }] }), p))
      .toThrow(/pairs\.jsonl:1: the prompt is a conversation but .* has no chat template/);
  });
});
