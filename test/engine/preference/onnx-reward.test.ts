import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Graph } from '../../../engine/onnx';
import { loadOnnxRewardModel, retokenizerFor } from '../../../engine/preference/onnx-reward';

/** A tiny Optimum-style sequence classifier: logits[b, 0] = sum_s mask[b, s] * table[input_ids[b, s]]. */
function tinyRewardModel(table: number[], labels: 1 | 2): Uint8Array {
  const g = new Graph('tiny-reward');
  const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
  const mask = g.input('attention_mask', 'int64', ['batch', 'seq']);
  const perToken = g.mul(g.gather(g.constant(table, 'float32', [table.length]), ids), g.cast(mask, 'float32'));
  const score = g.reduceSum(perToken, [1], true);
  g.output(labels === 1 ? score : g.concat([g.neg(score), score], 1), 'logits');
  return g.toBytes();
}

describe('user ONNX reward model (Optimum sequence classification)', () => {
  // The store root; user files live under it (inputs/), as a spec names them.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-onnx-reward-'));
  const dir = path.join(root, 'inputs');
  fs.mkdirSync(dir);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const table = [0, 0.5, -1, 2, 0.25];

  it('scores prompt + response, ignoring padding, from a [batch, 1] logits output', async () => {
    fs.writeFileSync(path.join(dir, 'one.onnx'), tinyRewardModel(table, 1));
    const model = await loadOnnxRewardModel(root, 'inputs/one.onnx', { threads: 1 });
    const scores = await model.score([[1, 2], [3]], [[4, 4, 3], [1]]);
    expect(scores[0]).toBeCloseTo(0.5 - 1 + 0.25 + 0.25 + 2, 5);
    expect(scores[1]).toBeCloseTo(2 + 0.5, 5);
  });

  it('takes logit[1] - logit[0] from a two-label classifier', async () => {
    const file = path.join(dir, 'two.onnx');
    fs.writeFileSync(file, tinyRewardModel(table, 2));
    // An absolute path inside the root is accepted as well.
    const model = await loadOnnxRewardModel(root, file, { threads: 1 });
    const scores = await model.score([[3]], [[1]]);
    expect(scores[0]).toBeCloseTo(2 * 2.5, 5);
  });

  it('names the file and the fix when the model is missing or not ONNX', async () => {
    await expect(loadOnnxRewardModel(root, 'inputs/nope.onnx', { threads: 1 })).rejects.toThrow(/nope\.onnx' does not exist/);
    fs.writeFileSync(path.join(dir, 'bad.onnx'), 'not a model');
    await expect(loadOnnxRewardModel(root, 'inputs/bad.onnx', { threads: 1 })).rejects.toThrow(/bad\.onnx' is not a loadable ONNX model/);
  });

  it('refuses a model path that escapes the store root, naming reward.source.model', async () => {
    // A real model outside the root: the refusal is about where it is, not whether it loads.
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-outside-'));
    try {
      const file = path.join(outside, 'rm.onnx');
      fs.writeFileSync(file, tinyRewardModel(table, 1));
      fs.symlinkSync(file, path.join(dir, 'link.onnx'));
      const rel = path.relative(root, file);
      for (const p of [rel, file, 'inputs/link.onnx']) {
        const err = await loadOnnxRewardModel(root, p, { threads: 1 }).catch((e: Error) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).name).toBe('InvalidInputError');
        expect((err as Error).message).toMatch(/^reward\.source\.model: path .* is refused: .*store root/);
      }
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('a reward model with its own tokenizer', () => {
  it('sees the task text re-encoded by its tokenizer.json', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-retok-'));
    const file = path.join(root, 'tokenizer.json');
    const specials = ['<pad>', '<bos>', '<eos>', '<unk>'].map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
    fs.writeFileSync(file, JSON.stringify({
      version: '1.0', truncation: null, padding: null, added_tokens: specials, normalizer: null, pre_tokenizer: { type: 'Whitespace' },
      post_processor: null, decoder: null,
      model: { type: 'WordLevel', vocab: { '<pad>': 0, '<bos>': 1, '<eos>': 2, '<unk>': 3, small: 4, dog: 5, nice: 6 }, unk_token: '<unk>' },
    }));
    const render = (ids: number[]) => ids.map((i) => ['the', 'small', 'dog', 'nice'][i]).join(' ');
    const retok = await retokenizerFor(root, 'tokenizer.json', render);
    expect(retok.padId).toBe(0);
    expect(retok.encode([1, 2, 0, 3])).toEqual([4, 5, 3, 6]);
    await expect(retokenizerFor(root, 'missing.json', render)).rejects.toThrow(/reward.source.tokenizer: file .*missing.json' does not exist/);
    await expect(retokenizerFor(root, '../tokenizer.json', render)).rejects.toThrow(/^reward\.source\.tokenizer: path .* is refused/);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
