import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPromptSet } from '../../../engine/tasks/files-prompts';
import { loadFilesTask } from '../../../engine/tasks/files';
import { loadChatTemplate } from '../../../engine/tokenizer/chat-template';
import { loadHfTokenizerFromDir } from '../../../engine/tokenizer/hf';

// A real BPE tokenizer with a ChatML template (the reward model fixture's; any model directory would do).
const MODEL = path.join(__dirname, '..', '..', 'fixtures', 'reward-model');
// Prompt files as pyarrow writes them (scripts/make_parquet_fixtures.py) and their JSONL twins.
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'data');

describe('files task prompts', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-files-prompts-'));
  fs.mkdirSync(path.join(root, 'inputs'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (name: string, rows: unknown[]) => fs.writeFileSync(path.join(root, 'inputs', name), rows.map((r) => JSON.stringify(r)).join('\n'));

  async function policy(context: number, maxNewTokens: number) {
    return { tokenizer: await loadHfTokenizerFromDir(MODEL), template: await loadChatTemplate(MODEL), modelDir: MODEL, context, maxNewTokens };
  }

  it('renders conversations with the generation prompt, plain prompts as written, and keeps the source row', async () => {
    write('p.jsonl', [{ prompt: [{ role: 'user', content: 'Hi?' }] }, { prompt: [{ role: 'user', content: 'Two plus two?' }] }]);
    const p = await policy(64, 8);
    const set = await loadPromptSet(root, 'task.prompts', 'inputs/p.jsonl', p);
    expect(set.records).toHaveLength(2);
    expect(p.tokenizer.decode(set.records[0].ids)).toBe('<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n');
    expect(set.records[0].prompt).toEqual([{ role: 'user', content: 'Hi?' }]);
    expect(set.records[1].where).toMatch(/inputs\/p\.jsonl:2$/);
    write('s.jsonl', [{ prompt: 'The sky is' }]);
    const plain = await loadPromptSet(root, 'task.prompts', 'inputs/s.jsonl', p);
    expect(p.tokenizer.decode(plain.records[0].ids)).toBe('The sky is');
  });

  it('skips and counts prompts that leave no room for maxNewTokens, and refuses a file where none fits', async () => {
    write('mixed.jsonl', [{ prompt: 'a' }, { prompt: 'The sky is blue and the grass is green. '.repeat(4) }, { prompt: 'b' }]);
    const set = await loadPromptSet(root, 'task.prompts', 'inputs/mixed.jsonl', await policy(20, 8));
    expect(set.records.map((r) => r.prompt)).toEqual(['a', 'b']);
    expect(set.skipped).toBe(1);
    expect(set.rows).toBe(3);
    write('long.jsonl', [{ prompt: 'The sky is blue and the grass is green. '.repeat(4) }]);
    const p20 = await policy(20, 8);
    await expect(loadPromptSet(root, 'task.evalPrompts', 'inputs/long.jsonl', p20)).rejects.toThrow(/^task\.evalPrompts: none of the 1 prompts of 'inputs\/long\.jsonl' fits: .*more than 12 tokens \(context 20 - sampling\.maxNewTokens 8\), the longest \d+/);
  });

  it('names the file and the fix for a missing file, a path leaving the store root, and a conversation without a template', async () => {
    const p64 = await policy(64, 8);
    await expect(loadPromptSet(root, 'task.prompts', 'inputs/none.jsonl', p64)).rejects.toThrow(/^task\.prompts: file 'inputs\/none\.jsonl' does not exist/);
    await expect(loadPromptSet(root, 'task.prompts', '../p.jsonl', p64)).rejects.toThrow(/^task\.prompts: .*put the file under the store root/);
    write('c.jsonl', [{ prompt: [{ role: 'user', content: 'Hi?' }] }]);
    const noTemplate = { ...p64, template: undefined };
    await expect(loadPromptSet(root, 'task.prompts', 'inputs/c.jsonl', noTemplate)).rejects.toThrow(/c\.jsonl:1: the prompt is a conversation but .* has no chat template/);
  });

  it('reads Parquet prompt files that pyarrow wrote like their JSONL twins, and names file, row and column of a bad row', async () => {
    for (const f of ['prompts-eval.jsonl', 'prompts-eval.parquet', 'prompts-standard.parquet', 'prompts-bad-role.parquet', 'prompts-no-prompt.parquet']) {
      fs.copyFileSync(path.join(FIXTURES, f), path.join(root, 'inputs', f));
    }
    const p = await policy(64, 8);
    const jsonl = await loadPromptSet(root, 'task.evalPrompts', 'inputs/prompts-eval.jsonl', p);
    const parquet = await loadPromptSet(root, 'task.evalPrompts', 'inputs/prompts-eval.parquet', p);
    expect(parquet.records.map((r) => [r.prompt, r.ids])).toEqual(jsonl.records.map((r) => [r.prompt, r.ids]));
    expect(parquet.records).toHaveLength(4);
    expect(parquet.records[3].where).toMatch(/inputs\/prompts-eval\.parquet row 4$/);
    const plain = await loadPromptSet(root, 'task.prompts', 'inputs/prompts-standard.parquet', p);
    expect(plain.records.map((r) => p.tokenizer.decode(r.ids))).toEqual(['The sky is', 'Once upon a time']);
    await expect(loadPromptSet(root, 'task.prompts', 'inputs/prompts-bad-role.parquet', p)).rejects.toThrow(/prompts-bad-role\.parquet row 2: "prompt"\[0\]\.role is "robot"; use one of system, user, assistant, tool/);
    await expect(loadPromptSet(root, 'task.prompts', 'inputs/prompts-no-prompt.parquet', p)).rejects.toThrow(/prompts-no-prompt\.parquet row 1: "prompt" is missing/);
  });
});

describe('files task', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-files-task-'));
  fs.mkdirSync(path.join(root, 'inputs'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('holds the rendered prompt ids and the prompts as written; no gold, no base distribution; lengths without the stop token', async () => {
    fs.writeFileSync(path.join(root, 'inputs', 'train.jsonl'), '{"prompt": [{"role": "user", "content": "Hi?"}]}\n{"prompt": [{"role": "user", "content": "Why?"}]}\n');
    fs.writeFileSync(path.join(root, 'inputs', 'eval.jsonl'), '{"prompt": [{"role": "user", "content": "How?"}]}\n');
    const tokenizer = await loadHfTokenizerFromDir(MODEL);
    const policy = { tokenizer, template: await loadChatTemplate(MODEL), modelDir: MODEL, context: 64, maxNewTokens: 8 };
    const task = await loadFilesTask(root, { prompts: 'inputs/train.jsonl', evalPrompts: 'inputs/eval.jsonl' }, policy, [tokenizer.eosId]);
    expect(task.trainPrompts).toHaveLength(2);
    expect(task.evalPrompts).toHaveLength(1);
    expect(task.promptSource!('train', 1)).toEqual([{ role: 'user', content: 'Why?' }]);
    expect(task.promptSource!('eval', 0)).toEqual([{ role: 'user', content: 'How?' }]);
    expect(task.hasGold).toBe(false);
    expect(task.vocab).toBe(tokenizer.vocabSize);
    expect(task.maxNewTokens).toBe(8);
    const answer = [...tokenizer.encode('Blue.'), tokenizer.eosId];
    expect(task.responseLength(answer)).toBe(answer.length - 1);
    expect(task.render(answer)).toBe('Blue.');
    expect(() => task.baseSamples({} as never, 1)).toThrow(/pi0 is the given model/);
    expect(() => task.features([], [])).toThrow(/has no gold reward; use reward\.source\.kind onnx or activity/);
  });
});
