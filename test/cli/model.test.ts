/**
 * `prefloop generate` and `prefloop export` as a user runs them (child processes, real exit codes): generate
 * --greedy --json gives transformers' chat-template continuation of the fixture models token for token, with
 * per-token log-probs; export writes a campaign's pi0 back byte-identical and a trained iteration that loads; bad
 * input is one line and exit 2 (3 for an unknown campaign), with nothing written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadHfModelWeights, openHfModel } from '../../engine/checkpoint/hf-model';
import { runCampaign } from '../../engine/runner';
import { disposeRuntimes } from '../../engine/steps';
import { LocalArtifactStore } from '../../store/local';
import { hfSpec, placeModel } from '../engine/hf/hf-fixtures';
import { lines, runCli } from './run-cli';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'hf');
const PROMPT = 'What color is the sky?';

describe('prefloop generate', () => {
  it.each(['mistral'])('--greedy --json continues %s as transformers does through its chat template', async (name) => {
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'expected.json'), 'utf8'));
    const r = await runCli(['generate', path.join(FIXTURES, name), '--prompt', PROMPT, '--greedy', '--max-new-tokens', '12', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.promptIds).toEqual(expected.chat_greedy.prompt_ids);
    expect(out.ids).toEqual(expected.chat_greedy.tokens);
    expect(out.logprobs).toHaveLength(out.ids.length);
    expect(out.logprobs.every((l: number) => l < 0 && l > -20)).toBe(true);
    expect(out.finish).toBe(expected.chat_greedy.tokens.includes(3) ? 'stop' : 'length');
  });

  it('prints the text; refuses a prompt longer than the context (exit 2, one line)', async () => {
    const ok = await runCli(['generate', path.join(FIXTURES, 'gpt2'), '--prompt', PROMPT, '--max-new-tokens', '4', '--seed', '7']);
    expect(ok.code).toBe(0);
    expect(ok.stdout.length).toBeGreaterThan(0);
    const long = await runCli(['generate', path.join(FIXTURES, 'gpt2'), '--prompt', PROMPT, '--max-new-tokens', '60']);
    expect({ code: long.code, lines: lines(long.stderr).length }).toEqual({ code: 2, lines: 1 });
    expect(long.stderr).toMatch(/--max-new-tokens 60 exceeds the model's context of 64 \(config\.json n_positions\)/);
  });

  it('runs on the --provider asked for: an unknown name is a usage error, a provider that cannot load says how to install it', async () => {
    const bad = await runCli(['generate', path.join(FIXTURES, 'gpt2'), '--prompt', PROMPT, '--provider', 'tpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--provider must be cpu, cuda or webgpu, got 'tpu'/);
    // This machine has no CUDA build of the provider: the request reaches ORT and fails with the install hint.
    const cuda = await runCli(['generate', path.join(FIXTURES, 'gpt2'), '--prompt', PROMPT, '--provider', 'cuda', '--max-new-tokens', '2']);
    expect(cuda.code).not.toBe(0);
    expect(cuda.stderr).toMatch(/execution provider 'cuda' cannot load .*--onnxruntime-node-install=cuda12/);
  });
});

describe('prefloop export', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-export-cli-'));
  afterAll(async () => { await disposeRuntimes(); fs.rmSync(root, { recursive: true, force: true }); });

  it('writes pi0 back byte-identical and a trained iteration that loads; refuses an existing --out and an unknown campaign', async () => {
    const store = new LocalArtifactStore(root);
    const model = placeModel(root, 'qwen2-f16');
    await runCampaign(hfSpec(model, { iterations: 1 }), { store, campaign: 'qwen' });
    const pi0Out = path.join(root, 'exported-0');
    const r0 = await runCli(['export', 'qwen', '--iteration', '0', '--out', pi0Out, '--store', root, '--json']);
    expect(r0.stderr).toBe('');
    expect(r0.code).toBe(0);
    expect(JSON.parse(r0.stdout).files).toContain('model.safetensors');
    expect(fs.readFileSync(path.join(pi0Out, 'model.safetensors')).equals(fs.readFileSync(path.join(FIXTURES, 'qwen2-f16', 'model.safetensors')))).toBe(true);

    const r1 = await runCli(['export', 'qwen', '--iteration', '1', '--out', path.join(root, 'exported-1'), '--store', root]);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/^wrote .*exported-1: .*model\.safetensors/);
    const trained = loadHfModelWeights(openHfModel(path.join(root, 'exported-1')));
    const original = loadHfModelWeights(openHfModel(path.join(FIXTURES, 'qwen2-f16')));
    const changed = [...original].filter(([n, t]) => !Buffer.from(trained.get(n)!.data.buffer).equals(Buffer.from(t.data.buffer)));
    expect(changed.length).toBeGreaterThan(0);

    const again = await runCli(['export', 'qwen', '--iteration', '1', '--out', pi0Out, '--store', root]);
    expect({ code: again.code, lines: lines(again.stderr).length }).toEqual({ code: 2, lines: 1 });
    expect(again.stderr).toMatch(/already exists and is not an empty directory/);
    expect(fs.readFileSync(path.join(pi0Out, 'model.safetensors')).equals(fs.readFileSync(path.join(FIXTURES, 'qwen2-f16', 'model.safetensors')))).toBe(true);
    const unknown = await runCli(['export', 'nope', '--iteration', '1', '--out', path.join(root, 'x'), '--store', root]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/campaign nope has no Hugging Face policy/);
    expect(fs.existsSync(path.join(root, 'x'))).toBe(false);
  });
});
