import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseJsonlRows, readDataRows } from '../../../engine/data/rows';
import { promptRows, readPromptFile } from '../../../engine/data/prompts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-prompts-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function inputError(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(() => undefined, (e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect(err!.name).toBe('InvalidInputError');
  return err!;
}

describe('prompt files (TRL prompt-only format)', () => {
  it('reads standard prompts, skipping blank lines and CRLF, and keeps file:line of each row', async () => {
    const file = write('std.jsonl', '{"prompt": "The sky is"}\r\n\n{"prompt": "Once upon", "extra": 1}\n');
    const rows = await readPromptFile(file, 'task.prompts');
    expect(rows.map((r) => r.prompt)).toEqual(['The sky is', 'Once upon']);
    expect(rows.map((r) => r.where)).toEqual([`${file}:1`, `${file}:3`]);
  });

  it('reads conversational prompts as message lists', async () => {
    const file = write('chat.jsonl', [
      JSON.stringify({ prompt: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi?' }] }),
      JSON.stringify({ prompt: [{ role: 'user', content: 'Why?' }] }),
    ].join('\n'));
    const rows = await readPromptFile(file, 'task.prompts');
    expect(rows[0].prompt).toEqual([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi?' }]);
    expect(rows[1].prompt).toEqual([{ role: 'user', content: 'Why?' }]);
  });

  it('names file and line of a row that is not JSON', async () => {
    const file = write('bad.jsonl', '{"prompt": "a"}\n{"prompt": "b"\n');
    expect((await inputError(readPromptFile(file, 'task.prompts'))).message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:2: not JSON`));
  });

  it('names the line of a wrong role, an empty message list, a prompt ending on the assistant, a missing prompt', () => {
    const rows = (line: unknown) => parseJsonlRows(`{"prompt": "ok"}\n${JSON.stringify(line)}\n`, 'p.jsonl');
    expect(() => promptRows(rows({ prompt: [{ role: 'robot', content: 'x' }] }), 'task.prompts')).toThrow(/^p\.jsonl:2: "prompt"\[0\]\.role is "robot"; use one of system, user, assistant, tool/);
    expect(() => promptRows(rows({ prompt: [] }), 'task.prompts')).toThrow(/^p\.jsonl:2: "prompt" is an empty message list/);
    expect(() => promptRows(rows({ prompt: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] }), 'task.prompts')).toThrow(/^p\.jsonl:2: "prompt" ends with a 'assistant' message; a prompt must end with a 'user' message/);
    expect(() => promptRows(rows({ text: 'x' }), 'task.prompts')).toThrow(/^p\.jsonl:2: "prompt" is missing/);
    expect(() => promptRows(rows({ prompt: [{ role: 'user', content: 3 }] }), 'task.prompts')).toThrow(/"prompt"\[0\]\.content is 3; it must be a string/);
    expect(() => promptRows(rows([1, 2]), 'task.prompts')).toThrow(/^p\.jsonl:2: expected a JSON object, got an array/);
  });

  it('refuses a file that mixes standard and conversational prompts', () => {
    const rows = parseJsonlRows('{"prompt": "a"}\n{"prompt": [{"role": "user", "content": "b"}]}\n', 'mix.jsonl');
    expect(() => promptRows(rows, 'task.prompts')).toThrow(/^task\.prompts: mix\.jsonl:2: "prompt" is a message list but mix\.jsonl:1 is a string/);
  });

  it('refuses an empty file, a missing file and an unknown extension, naming the spec field', async () => {
    expect((await inputError(readPromptFile(write('empty.jsonl', '\n\n'), 'task.evalPrompts'))).message).toMatch(/^task\.evalPrompts: '.*empty\.jsonl' has no rows/);
    expect((await inputError(readPromptFile(path.join(dir, 'none.jsonl'), 'task.prompts'))).message).toMatch(/^task\.prompts: cannot read '.*none\.jsonl'/);
    expect((await inputError(readDataRows(write('p.csv', 'prompt\na\n'), 'task.prompts'))).message).toMatch(/has extension '\.csv'; use \.jsonl .* or \.parquet/);
  });
});
