/**
 * Export to a Hugging Face directory: a model that goes in and comes out untrained has tensor-for-tensor identical
 * bytes (names, dtypes, order and data), for single files and shards, F32, F16 and BF16; a trained policy exported and
 * reloaded gives the same tensors (exactly in F32; in F16 / BF16 the policy rounded once, and a second export of the
 * reloaded model is byte-identical); every other file is copied unchanged; an existing --out is never touched.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportHfModel } from '../../../engine/checkpoint/hf-export';
import { loadHfModelWeights, openHfModel } from '../../../engine/checkpoint/hf-model';
import { readTensorBytes, readWeightsIndex, type HfWeightsIndex } from '../../../engine/checkpoint/hf-weights';
import type { NamedTensors } from '../../../engine/model/api';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'hf');
const FAMILIES = ['gpt2', 'llama', 'llama3-sharded-bf16', 'qwen2-f16', 'mistral'];

function rawTensors(index: HfWeightsIndex): Map<string, { dtype: string; shape: number[]; bytes: Buffer }> {
  const out = new Map<string, { dtype: string; shape: number[]; bytes: Buffer }>();
  for (const e of index.tensors) {
    const fd = fs.openSync(path.join(index.dir, e.file), 'r');
    try {
      out.set(e.name, { dtype: e.dtype, shape: e.shape, bytes: Buffer.from(readTensorBytes(index.dir, e, fd)) });
    } finally {
      fs.closeSync(fd);
    }
  }
  return out;
}

describe.each(FAMILIES)('export of %s', (name) => {
  const source = path.join(FIXTURES, name);
  let tmp: string;
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-export-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('untrained in, out: identical tensor bytes, names, dtypes and order; other files copied', () => {
    const model = openHfModel(source);
    const out = path.join(tmp, 'out');
    const result = exportHfModel(source, model.config, loadHfModelWeights(model), out);
    const before = rawTensors(readWeightsIndex(source));
    const after = rawTensors(readWeightsIndex(out));
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [tensor, b] of before) {
      const a = after.get(tensor)!;
      expect([a.dtype, a.shape]).toEqual([b.dtype, b.shape]);
      expect(a.bytes.equals(b.bytes)).toBe(true);
    }
    // The source's weight layout is kept: the same files, each holding the same tensors (shards stay shards).
    const layout = (index: HfWeightsIndex) => index.tensors.map((e) => [e.file, e.name]);
    expect(layout(readWeightsIndex(out))).toEqual(layout(readWeightsIndex(source)));
    for (const f of readWeightsIndex(source).files) expect(result.files).toContain(f);
    const copied = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja'];
    const sharded = fs.existsSync(path.join(source, 'model.safetensors.index.json'));
    if (sharded) copied.push('model.safetensors.index.json');
    for (const f of copied) {
      expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(source, f)))).toBe(true);
    }
    expect(fs.existsSync(path.join(out, 'model.safetensors.index.json'))).toBe(sharded);
    expect(openHfModel(out).config).toEqual(model.config);
  });

  test('trained: export -> reload gives the same tensors; a second export is byte-identical', () => {
    const model = openHfModel(source);
    const trained: NamedTensors = new Map();
    for (const [n, t] of loadHfModelWeights(model)) trained.set(n, { ...t, data: Float32Array.from(t.data, (x, i) => x + 0.01 * Math.sin(i + n.length)) });
    const first = path.join(tmp, 'first');
    exportHfModel(source, model.config, trained, first);
    const reloaded = loadHfModelWeights(openHfModel(first));
    const half = readWeightsIndex(source).tensors[0].dtype !== 'F32';
    for (const [n, t] of trained) {
      const r = reloaded.get(n)!.data;
      if (!half) expect(Buffer.from(r.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
      else t.data.forEach((x, i) => expect(Math.abs(r[i] - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8 + 1e-7));
    }
    const second = path.join(tmp, 'second');
    exportHfModel(first, model.config, reloaded, second);
    for (const f of readWeightsIndex(first).files) {
      expect(fs.readFileSync(path.join(second, f)).equals(fs.readFileSync(path.join(first, f)))).toBe(true);
    }
  });
});

describe('export refuses', () => {
  test('an --out that exists and is not empty, writing nothing', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-export-'));
    try {
      const model = openHfModel(path.join(FIXTURES, 'llama'));
      fs.writeFileSync(path.join(tmp, 'keep.txt'), 'mine');
      expect(() => exportHfModel(model.dir, model.config, loadHfModelWeights(model), tmp)).toThrow(/--out .*already exists and is not an empty directory/);
      expect(fs.readdirSync(tmp)).toEqual(['keep.txt']);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('a policy of another model than the source directory', () => {
    const llama = openHfModel(path.join(FIXTURES, 'llama'));
    const mistral = openHfModel(path.join(FIXTURES, 'mistral'));
    expect(() => exportHfModel(mistral.dir, llama.config, loadHfModelWeights(llama), path.join(os.tmpdir(), 'never-written'))).toThrow(/trained from a model with another config/);
    expect(fs.existsSync(path.join(os.tmpdir(), 'never-written'))).toBe(false);
  });
});
