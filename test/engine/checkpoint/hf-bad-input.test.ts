/**
 * Bad Hugging Face model input (issue 13's list): each is an InvalidInputError naming the file or field and what to
 * do, raised before any compute, and a campaign on it fails at set-up with nothing written to the store. Also: both
 * ways transformers writes rotary settings read the same, and F16 / BF16 widen and narrow back exactly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../../engine/checkpoint/dtypes';
import { hfConfigFromJson } from '../../../engine/checkpoint/hf-config';
import { checkModelFits, openHfModel } from '../../../engine/checkpoint/hf-model';
import { runCampaign } from '../../../engine/runner';
import { resolvedModelConfig } from '../../../engine/steps/common';
import { taskFromSpec } from '../../../engine/tasks';
import { LocalArtifactStore } from '../../../store/local';
import { FIXTURES, hfSpec, placeModel } from '../hf/hf-fixtures';

let root: string;
beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-hf-bad-')); });
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function model(fixture = 'llama', edit?: (dir: string) => void): string {
  const rel = placeModel(root, fixture, `models/${fixture}`);
  edit?.(path.join(root, rel));
  return path.join(root, rel);
}

function editJson(file: string, change: (j: Record<string, unknown>) => void): void {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  change(j);
  fs.writeFileSync(file, JSON.stringify(j));
}

function inputError(fn: () => unknown, message: RegExp): void {
  let err: Error | undefined;
  try {
    fn();
  } catch (e) {
    err = e as Error;
  }
  expect(err?.name).toBe('InvalidInputError');
  expect(err?.message).toMatch(message);
}

describe('a model directory prefloop cannot load is refused, naming the file or field', () => {
  test.each<[string, string, (dir: string) => void, RegExp]>([
    ['no config.json', 'llama', (d) => fs.rmSync(path.join(d, 'config.json')), /config\.json: cannot read the model config .*save_pretrained writes it/],
    ['no weights', 'llama', (d) => fs.rmSync(path.join(d, 'model.safetensors')), /no model\.safetensors or model\.safetensors\.index\.json; prefloop reads safetensors weights/],
    ['no tokenizer.json', 'llama', (d) => fs.rmSync(path.join(d, 'tokenizer.json')), /tokenizer\.json: missing; prefloop tokenizes with the model's own tokenizer\.json/],
    ['a shard named in the index is missing', 'llama3-sharded-bf16', (d) => fs.rmSync(path.join(d, 'model-00002-of-00002.safetensors')),
      /model\.safetensors\.index\.json: names shard model-00002-of-00002\.safetensors, which is missing .*copy every model-0000k-of-0000n\.safetensors/],
    ['shapes that disagree with config.json', 'llama', (d) => editJson(path.join(d, 'config.json'), (j) => { j.intermediate_size = 48; }),
      /tensor 'model\.layers\.0\.mlp\.gate_proj\.weight' has shape \[64, 32\] but .*config\.json implies \[48, 32\]; config\.json and the weights disagree/],
    ['an unsupported dtype', 'llama', (d) => {
      const file = path.join(d, 'model.safetensors');
      const bytes = fs.readFileSync(file);
      const n = Number(bytes.readBigUInt64LE(0));
      const header = bytes.subarray(8, 8 + n).toString('utf8').replace('"dtype":"F32"', '"dtype":"I32"');
      bytes.write(header, 8, 'utf8');
      fs.writeFileSync(file, bytes);
    }, /is "I32"; prefloop reads F32, F16 and BF16 weights/],
    ['an unsupported family', 'llama', (d) => editJson(path.join(d, 'config.json'), (j) => { j.model_type = 'phi3'; }),
      /model_type "phi3" is not supported; prefloop loads gpt2, llama, qwen2, mistral/],
    ['an unsupported rope type', 'llama', (d) => editJson(path.join(d, 'config.json'), (j) => { (j.rope_parameters as Record<string, unknown>).rope_type = 'yarn'; }),
      /rope_parameters\.rope_type is "yarn", which prefloop does not support; supported: 'default' and 'llama3'/],
    ['an unsupported activation', 'llama', (d) => editJson(path.join(d, 'config.json'), (j) => { j.hidden_act = 'gelu'; }),
      /hidden_act is "gelu", which prefloop does not support .*supported: "silu"/],
    ['a gpt2 activation it cannot compute', 'gpt2', (d) => editJson(path.join(d, 'config.json'), (j) => { j.activation_function = 'relu'; }),
      /activation_function is "relu".*supported: "gelu_new" or "gelu_pytorch_tanh"/],
    ['a tokenizer of another model', 'llama', (d) => editJson(path.join(d, 'config.json'), (j) => { j.vocab_size = 100; }),
      /(vocab_size is 100|has shape \[320, 32\] but .*implies \[100, 32\])/],
  ])('%s', (_what, fixture, edit, message) => {
    const dir = model(fixture, edit);
    inputError(() => openHfModel(dir), message);
  });

  test('a model too large for the machine, with the estimate, before any weight is read', () => {
    const m = openHfModel(model());
    expect(() => checkModelFits(m, 'inference')).not.toThrow();
    inputError(() => checkModelFits(m, 'training', 400_000), /0\.0M parameters need at least 0\.00 GiB for training \(20 bytes per parameter: .*more than 90% of this machine's 0\.00 GiB/);
    inputError(() => checkModelFits(m, 'inference', 100_000), /need at least .* for inference \(4 bytes per parameter/);
  });

  test('prompt + sampling.maxNewTokens beyond max_position_embeddings, and beyond a sliding window', () => {
    model();
    const long = hfSpec('models/llama', { sampling: { promptsPerIteration: 4, n: 4, shards: 1, maxNewTokens: 60 } });
    inputError(() => resolvedModelConfig(long, taskFromSpec(long, root)), /^sampling\.maxNewTokens: the longest prompt \(\d+ tokens\) \+ 60 new tokens exceeds the model's context of 64 \(config\.json max_position_embeddings\); lower sampling\.maxNewTokens/);
    model('mistral', (d) => editJson(path.join(d, 'config.json'), (j) => { j.sliding_window = 20; }));
    const windowed = hfSpec('models/mistral');
    inputError(() => resolvedModelConfig(windowed, taskFromSpec(windowed, root)), /exceeds the model's context of 20 \(config\.json sliding_window: prefloop runs mistral only on sequences that fit in one attention window\)/);
  });

  test('a path leaving the store root, and the bandit task, are refused by field', () => {
    inputError(() => taskFromSpec(hfSpec('../elsewhere'), root), /^policy\.path: path "\.\.\/elsewhere" is refused/);
    inputError(() => taskFromSpec(hfSpec('models/absent'), root), /^policy\.path: .*models\/absent: no such model directory/);
    inputError(() => taskFromSpec(hfSpec('models/llama', { task: { name: 'bandit' } }), root), /^task\.name 'bandit': with policy\.source hf/);
  });

  test('a campaign on a bad model fails at set-up with nothing written to the store', async () => {
    model('llama', (d) => fs.rmSync(path.join(d, 'tokenizer.json')));
    const listing = () => fs.readdirSync(root, { recursive: true }).map(String).sort();
    const before = listing();
    await expect(runCampaign(hfSpec('models/llama'), { store: new LocalArtifactStore(root), campaign: 'bad' })).rejects.toThrow(/tokenizer\.json: missing/);
    // Only the runner's record of the spec: no prompt pools, no pi0; the model directory is untouched.
    expect(listing().filter((f) => !before.includes(f))).toEqual(['bad', 'bad/iter-0', 'bad/iter-0/setup', 'bad/iter-0/setup/spec.json', 'bad/manifest.jsonl']);
    for (const f of fs.readdirSync(path.join(root, 'models', 'llama'))) {
      expect(fs.readFileSync(path.join(root, 'models', 'llama', f)).equals(fs.readFileSync(path.join(FIXTURES, 'llama', f)))).toBe(true);
    }
  });
});

describe('config.json as transformers 4.x and 5.x write it', () => {
  test('rope_theta + rope_scaling reads like rope_parameters', () => {
    const v5 = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'llama3-sharded-bf16', 'config.json'), 'utf8'));
    const { rope_parameters: rp, ...rest } = v5;
    const { rope_theta, ...scaling } = rp;
    const v4 = { ...rest, rope_theta, rope_scaling: { ...scaling, rope_type: undefined, type: 'llama3' } };
    expect(hfConfigFromJson(v4)).toEqual(hfConfigFromJson(v5));
    expect(hfConfigFromJson(v5).ropeScaling).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 16 });
    expect(hfConfigFromJson(v5).ropeTheta).toBe(500000);
  });
});

describe('half-precision tensors', () => {
  test('every F16 and BF16 value widens to float32 and narrows back to the same bits', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    for (const [widen, narrow] of [[f16ToF32, f32ToF16], [bf16ToF32, f32ToBf16]] as const) {
      const wide = widen(all);
      const back = narrow(wide);
      const again = widen(back);
      let wrong = 0;
      let nans = 0;
      for (let i = 0; i < 65536; i++) {
        if (Number.isNaN(wide[i])) {
          nans++;
          if (!Number.isNaN(again[i])) wrong++;
        } else if (back[i] !== i) wrong++;
      }
      expect(wrong).toBe(0);
      expect(nans).toBeGreaterThan(0);
    }
  });

  test('narrowing rounds to nearest, ties to even, as torch does', () => {
    expect(Array.from(f32ToF16(Float32Array.of(1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 1e-8, 2 ** -24)))).toEqual([0x3c00, 0x3c02, 0x7c00, 0, 1]);
    expect(Array.from(f32ToBf16(Float32Array.of(1 + 2 ** -8, 1 + 3 * 2 ** -8)))).toEqual([0x3f80, 0x3f82]);
  });
});
