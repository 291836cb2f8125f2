import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseJsonlRows, readDataRows } from '../../../engine/data/rows';
import { preferenceRows, readPreferenceFile } from '../../../engine/data/preference-pairs';
import { readPromptFile } from '../../../engine/data/prompts';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'data');
const rows = (...lines: unknown[]) => preferenceRows(parseJsonlRows(lines.map((l) => JSON.stringify(l)).join('\n'), 'pairs.jsonl'));
const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

describe('preference datasets (TRL preference format)', () => {
  it('reads standard rows with optional scores', () => {
    const [a, b] = rows(
      { prompt: 'The sky is', chosen: ' blue.', rejected: ' green.', score_chosen: 8, score_rejected: 2.5 },
      { prompt: 'Hi', chosen: 'a', rejected: 'b' },
    );
    expect(a).toEqual({ where: 'pairs.jsonl:1', prompt: 'The sky is', chosen: ' blue.', rejected: ' green.', scoreChosen: 8, scoreRejected: 2.5 });
    expect(b).toEqual({ where: 'pairs.jsonl:2', prompt: 'Hi', chosen: 'a', rejected: 'b' });
  });

  it('reads conversational rows, and finds the implicit prompt that chosen and rejected share', () => {
    const [explicit] = rows({ prompt: [user('Q?')], chosen: [assistant('Yes.')], rejected: [assistant('No.')] });
    expect(explicit.prompt).toEqual([user('Q?')]);
    expect(explicit.chosen).toEqual([assistant('Yes.')]);
    const [implicit] = rows({ chosen: [user('Q?'), assistant('Yes.')], rejected: [user('Q?'), assistant('No.')] });
    expect(implicit).toMatchObject({ prompt: [user('Q?')], chosen: [assistant('Yes.')], rejected: [assistant('No.')] });
    // Same assistant reply in both: the prompt still ends at the last shared user turn.
    const [same] = rows({ chosen: [user('Q?'), assistant('A')], rejected: [user('Q?'), assistant('A')] });
    expect(same.prompt).toEqual([user('Q?')]);
  });

  it('names the row of each malformed pair', () => {
    expect(() => rows({ prompt: 'p', chosen: 'c' })).toThrow(/^pairs\.jsonl:1: "rejected" is missing; with a string "prompt" it must be a string/);
    expect(() => rows({ prompt: [user('q')], chosen: 'c', rejected: [assistant('r')] })).toThrow(/^pairs\.jsonl:1: "chosen" is "c" but "prompt" is a message list/);
    expect(() => rows({ prompt: [user('q')], chosen: [user('c')], rejected: [assistant('r')] })).toThrow(/"chosen"\[0\]\.role is 'user'; a completion is made of 'assistant' messages/);
    expect(() => rows({ prompt: [user('q')], chosen: [], rejected: [assistant('r')] })).toThrow(/"chosen" is an empty message list/);
    expect(() => rows({ prompt: 'p', chosen: 'c', rejected: 'r', score_chosen: 'high' })).toThrow(/"score_chosen" is "high"; it must be a finite number/);
    expect(() => rows({ chosen: 'c', rejected: 'r' })).toThrow(/"prompt" is missing; give "prompt", or conversational/);
    expect(() => rows({ chosen: [assistant('a')], rejected: [assistant('b')] })).toThrow(/share no user message/);
  });

  it('reads Parquet files that pyarrow wrote (snappy), row for row like their JSONL twins', async () => {
    const pairs = await readPreferenceFile(path.join(FIXTURES, 'pairs-standard.parquet'), 'offline.pairs');
    expect(pairs.map(({ where: _, ...p }) => p)).toEqual([
      { prompt: 'The sky is', chosen: ' blue.', rejected: ' green.', scoreChosen: 8, scoreRejected: 2.5 },
      { prompt: 'Two plus two is', chosen: ' four.', rejected: ' five.', scoreChosen: 9, scoreRejected: 1 },
    ]);
    expect(pairs[1].where).toMatch(/pairs-standard\.parquet row 2$/);
    const prompts = await readPromptFile(path.join(FIXTURES, 'prompts-chat.parquet'), 'task.prompts');
    expect(prompts.map((p) => p.prompt)).toEqual([
      [{ role: 'system', content: 'Answer briefly.' }, user('What color is the sky?')],
      [user('Name a prime number.')],
    ]);
  });

  it('refuses a file that is not Parquet, naming it', async () => {
    const copy = path.join(os.tmpdir(), `prefloop-not-parquet-${process.pid}.parquet`);
    fs.writeFileSync(copy, 'PAR1 nope');
    try {
      await expect(readDataRows(copy, 'offline.pairs')).rejects.toThrow(/not-parquet-\d+\.parquet: not a readable Parquet file/);
    } finally {
      fs.rmSync(copy);
    }
  });
});
