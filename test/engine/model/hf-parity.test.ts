/**
 * Parity with transformers: for a tiny random model of every family (test/fixtures/hf, made by
 * scripts/make_hf_fixtures.py), prefloop's decode graph gives transformers' logits within 1e-4, greedy decoding
 * through the policy runtime (KV cache, as a campaign samples) gives transformers' generate() tokens, and the
 * scoring graph gives its per-sequence log-probs. Fixtures cover gpt2, llama (tied), llama 3 rope_scaling with an
 * untied head in bf16 shards, qwen2 in f16 and mistral with an explicit head_dim.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadHfModelWeights, openHfModel } from '../../../engine/checkpoint/hf-model';
import { int64 } from '../../../engine/model/batch';
import { cacheShape } from '../../../engine/model/gpt';
import { buildDecodeGraph } from '../../../engine/model/graphs';
import { createPolicyRuntime } from '../../../engine/model/runtime';
import { tensorFeeds } from '../../../engine/model/sessions';

const HF_FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'hf');
const FAMILY_FIXTURES = ['gpt2', 'llama', 'llama3-sharded-bf16', 'qwen2-f16', 'mistral'];

interface Expected {
  ids: number[];
  logits: number[][];
  greedy: { prompt_ids: number[]; eos: number[]; max_new_tokens: number; tokens: number[] };
  logps: { prompt: number[]; response: number[]; logp: number }[];
}

describe.each(FAMILY_FIXTURES)('%s matches transformers', (name) => {
  const dir = path.join(HF_FIXTURES, name);
  const expected: Expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
  const model = openHfModel(dir);
  const weights = loadHfModelWeights(model);

  test('logits of a full forward within 1e-4', async () => {
    const config = model.config;
    const s = await ort.InferenceSession.create(buildDecodeGraph(config).toBytes());
    const n = expected.ids.length;
    const past: Record<string, ort.Tensor> = {};
    const { heads, headDim } = cacheShape(config);
    for (let l = 0; l < config.layers; l++) for (const k of ['key', 'value']) past[`past_key_values.${l}.${k}`] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
    const out = await s.run({
      ...tensorFeeds(weights), ...past,
      input_ids: int64(expected.ids, [1, n]), attention_mask: int64(expected.ids.map(() => 1), [1, n]), position_ids: int64(expected.ids.map((_, i) => i), [1, n]),
    });
    const logits = out.logits.data as Float32Array;
    expect(out.logits.dims).toEqual([1, n, config.vocab]);
    let worst = 0;
    let spread = 0;
    expected.logits.forEach((row, t) => row.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(logits[t * config.vocab + j] - v));
      spread = Math.max(spread, Math.abs(v));
    }));
    expect(spread).toBeGreaterThan(0.5); // logits that vary, so a wrong layer cannot pass by accident
    expect(worst).toBeLessThan(1e-4);
    await s.release();
  });

  test('greedy decoding with the KV cache gives generate()\'s tokens; log-probs match', async () => {
    const runtime = await createPolicyRuntime(model.config);
    try {
      const g = expected.greedy;
      expect(model.eosIds).toEqual(g.eos);
      const [tokens] = await runtime.sample(weights, [g.prompt_ids], { temperatures: [0], topK: 0, topP: 1, maxNewTokens: g.max_new_tokens, stopTokens: model.eosIds, seed: 1 });
      expect(tokens).toEqual(g.tokens);
      const logps = await runtime.sequenceLogprobs(weights, expected.logps.map((r) => r.prompt), expected.logps.map((r) => r.response));
      expected.logps.forEach((r, i) => expect(Math.abs(logps[i] - r.logp)).toBeLessThan(1e-3));
    } finally {
      await runtime.dispose();
    }
  });
});
