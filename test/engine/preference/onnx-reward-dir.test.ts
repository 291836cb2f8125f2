import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkOnnxRewardDir, isRewardModelDir, loadOnnxRewardModelDir } from '../../../engine/preference/onnx-reward-dir';
import { loadHfTokenizerFromDir } from '../../../engine/tokenizer/hf';
import { runCampaign } from '../../../engine/runner';
import { taskFromSpec } from '../../../engine/tasks';
import type { ScoredSample } from '../../../engine/preference/types';
import { CampaignSpecSchema } from '../../../schemas/campaign';
import { LocalArtifactStore } from '../../../store/local';
import { tinySpec } from '../../support/specs';

// Written by scripts/make_reward_model_fixture.py: a GPT-2 sequence classifier exported to ONNX, its BPE tokenizer
// and ChatML template, and what transformers renders, tokenizes and scores for four rows.
const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'reward-model');
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as {
  rows: { prompt: string | { role: 'user' | 'system'; content: string }[]; response: string; text: string; ids: number[]; reward: number }[];
};

describe('ONNX reward model directory (Optimum sequence-classification export)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-rm-dir-'));
  fs.cpSync(FIXTURE, path.join(root, 'inputs', 'rm'), { recursive: true });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('renders each row with the model\'s own chat template and tokenizer exactly as transformers does', async () => {
    const rm = await loadOnnxRewardModelDir(root, 'inputs/rm', { threads: 1 });
    const tokenizer = await loadHfTokenizerFromDir(path.join(root, 'inputs', 'rm'));
    for (const row of expected.rows) {
      expect(rm.text(row)).toBe(row.text);
      expect(tokenizer.encode(row.text)).toEqual(row.ids);
    }
  });

  it('scores a padded batch as transformers scores each row alone (within 1e-4)', async () => {
    const rm = await loadOnnxRewardModelDir(root, 'inputs/rm', { threads: 1 });
    const scores = await rm.score(expected.rows);
    expected.rows.forEach((row, i) => expect(Math.abs(scores[i] - row.reward)).toBeLessThan(1e-4));
    // The rewards differ from row to row, so matching them is not an accident of a constant model.
    expect(new Set(expected.rows.map((r) => r.reward.toFixed(3))).size).toBe(expected.rows.length);
  });

  it('tells a directory from a bare .onnx file, and names the field and the fix for a missing directory, a tokenizer given twice, a directory without a tokenizer', async () => {
    await expect(loadOnnxRewardModelDir(root, 'inputs/none', { threads: 1 })).rejects.toThrow(/^reward\.source\.model: file 'inputs\/none' does not exist/);
    expect(await isRewardModelDir(root, 'inputs/rm')).toBe(true);
    expect(await isRewardModelDir(root, 'inputs/rm/model.onnx')).toBe(false);
    await expect(checkOnnxRewardDir(root, 'inputs/rm', 'inputs/rm/tokenizer.json')).rejects.toThrow(/^reward\.source\.tokenizer: 'inputs\/rm' is a model directory with its own tokenizer\.json/);
    fs.mkdirSync(path.join(root, 'inputs', 'bare'));
    fs.copyFileSync(path.join(FIXTURE, 'model.onnx'), path.join(root, 'inputs', 'bare', 'model.onnx'));
    await expect(loadOnnxRewardModelDir(root, 'inputs/bare', { threads: 1 })).rejects.toThrow(/^reward\.source\.model: .*bare\/tokenizer\.json does not exist; the directory must hold an Optimum/);
  });
});

describe('a campaign ranked by a reward model directory (in-process runner)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-rm-dir-campaign-'));
  fs.cpSync(FIXTURE, path.join(root, 'inputs', 'rm'), { recursive: true });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('scores every sample by the model on the rendered texts, minus the length penalty', async () => {
    const store = new LocalArtifactStore(root);
    const input = tinySpec('rm-dir', 'online-iterative-dpo', { iterations: 1, reward: { source: { kind: 'onnx', model: 'inputs/rm' }, lengthPenalty: 0.01 } });
    await runCampaign(input, { store });
    const task = taskFromSpec(CampaignSpecSchema.parse(input));
    const ref = await store.find({ campaign: 'rm-dir', iteration: 1, step: 'rank', name: 'scored.jsonl' });
    const rows: ScoredSample[] = [];
    for await (const r of store.readJsonl<ScoredSample>(ref!)) rows.push(r);
    const rm = await loadOnnxRewardModelDir(root, 'inputs/rm', { threads: 1 });
    const scores = await rm.score(rows.map((r) => ({ prompt: task.render(r.prompt), response: task.render(r.response) })));
    rows.forEach((r, i) => expect(r.reward).toBeCloseTo(scores[i] - 0.01 * task.responseLength(r.response), 5));
    expect(new Set(rows.map((r) => r.reward.toFixed(4))).size).toBeGreaterThan(1);
  });
});
