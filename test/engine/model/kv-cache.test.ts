/**
 * KV cache: logits from cached decoding (prefill, then one token per step) equal a full forward pass at every
 * position (max abs diff < 1e-4), also for a left-padded row in a batch; and the scoring graph's log-probs equal
 * the log-softmax of the decode graph's logits (both graphs come from one definition). For every model family.
 */
import * as ort from 'onnxruntime-node';
import type { NamedTensors, ResolvedModelConfig } from '../../../engine/model/api';
import { int64 } from '../../../engine/model/batch';
import { cacheShape, initPolicy } from '../../../engine/model/gpt';
import { buildDecodeGraph, buildScoreGraph } from '../../../engine/model/graphs';
import { packSequences } from '../../../engine/model/batch';
import { tensorFeeds } from '../../../engine/model/sessions';
import { session, TINY, TINY_FAMILIES } from './reference';

/** GPT-2 init is nearly uniform; larger weights make the logits vary so a cache bug cannot hide. */
function livelyWeights(config: ResolvedModelConfig, seed: number): NamedTensors {
  const w = initPolicy(config, seed);
  for (const [name, t] of w) if (t.shape.length === 2 || name.endsWith('bias')) t.data.forEach((x, i) => (t.data[i] = x * 15 + (name.endsWith('bias') ? 0.1 * Math.sin(i) : 0)));
  return w;
}

function emptyPast(config: ResolvedModelConfig, rows: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < config.layers; l++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${l}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [rows, cacheShape(config).heads, 0, cacheShape(config).headDim]);
  }
  return feeds;
}

function carry(config: ResolvedModelConfig, out: ort.InferenceSession.OnnxValueMapType): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < config.layers; l++) {
    feeds[`past_key_values.${l}.key`] = out[`present.${l}.key`] as ort.Tensor;
    feeds[`past_key_values.${l}.value`] = out[`present.${l}.value`] as ort.Tensor;
  }
  return feeds;
}

const ids = [1, 5, 3, 9, 2, 7, 7, 4, 10, 0, 6];

for (const config of [TINY, { ...TINY, tiedHead: false, layers: 1, heads: 4 }, ...TINY_FAMILIES]) {
  describe(`KV cache (${config.family ?? 'gpt2'}, tiedHead ${config.tiedHead}, heads ${config.heads})`, () => {
    let s: ort.InferenceSession;
    let weights: Record<string, ort.Tensor>;
    const V = config.vocab;

    beforeAll(async () => {
      s = await session(buildDecodeGraph(config).toBytes());
      weights = tensorFeeds(livelyWeights(config, 3));
    });
    afterAll(async () => s.release());

    async function fullForward(tokens: number[]): Promise<Float32Array> {
      const n = tokens.length;
      const out = await s.run({
        ...weights, ...emptyPast(config, 1),
        input_ids: int64(tokens, [1, n]), attention_mask: int64(tokens.map(() => 1), [1, n]), position_ids: int64(tokens.map((_, i) => i), [1, n]),
      });
      expect(out.logits.dims).toEqual([1, n, V]);
      return out.logits.data as Float32Array;
    }

    test('cached decoding equals a full forward at every position', async () => {
      const full = await fullForward(ids);
      const prefill = 3;
      let out = await s.run({
        ...weights, ...emptyPast(config, 1),
        input_ids: int64(ids.slice(0, prefill), [1, prefill]), attention_mask: int64([1, 1, 1], [1, prefill]), position_ids: int64([0, 1, 2], [1, prefill]),
      });
      let maxDiff = 0;
      let spread = 0;
      const check = (logits: Float32Array, position: number, column: number) => {
        for (let v = 0; v < V; v++) {
          maxDiff = Math.max(maxDiff, Math.abs(logits[column * V + v] - full[position * V + v]));
          spread = Math.max(spread, Math.abs(full[position * V + v] - full[v]));
        }
      };
      for (let p = 0; p < prefill; p++) check(out.logits.data as Float32Array, p, p);
      for (let p = prefill; p < ids.length; p++) {
        expect((out['present.0.key'] as ort.Tensor).dims).toEqual([1, cacheShape(config).heads, p, cacheShape(config).headDim]);
        out = await s.run({
          ...weights, ...carry(config, out),
          input_ids: int64([ids[p]], [1, 1]), attention_mask: int64(new Array(p + 1).fill(1), [1, p + 1]), position_ids: int64([p], [1, 1]),
        });
        check(out.logits.data as Float32Array, p, 0);
      }
      expect(maxDiff).toBeLessThan(1e-4);
      expect(spread).toBeGreaterThan(0.1); // the logits do depend on the context
    });

    test('a left-padded row in a batch decodes exactly like the same row alone', async () => {
      const short = ids.slice(0, 4);
      const long = ids.slice(2, 9);
      const width = long.length;
      const pad = width - short.length;
      const solo = await fullForward(ids.slice(0, 6));
      let out = await s.run({
        ...weights, ...emptyPast(config, 2),
        input_ids: int64([...new Array(pad).fill(0), ...short, ...long], [2, width]),
        attention_mask: int64([...new Array(pad).fill(0), ...short.map(() => 1), ...long.map(() => 1)], [2, width]),
        position_ids: int64([...new Array(pad).fill(0), ...short.map((_, i) => i), ...long.map((_, i) => i)], [2, width]),
      });
      let diff = 0;
      const row0 = (logits: Float32Array, column: number, columns: number, position: number) => {
        for (let v = 0; v < V; v++) diff = Math.max(diff, Math.abs(logits[column * V + v] - solo[position * V + v]));
        void columns;
      };
      row0(out.logits.data as Float32Array, width - 1, width, short.length - 1);
      for (let k = 0; k < 2; k++) {
        const total = width + k + 1;
        const mask = [...new Array(pad).fill(0), ...new Array(total - pad).fill(1), ...new Array(total).fill(1)];
        out = await s.run({
          ...weights, ...carry(config, out),
          input_ids: int64([ids[4 + k], 5], [2, 1]), attention_mask: int64(mask, [2, total]), position_ids: int64([4 + k, width + k], [2, 1]),
        });
        row0(out.logits.data as Float32Array, 0, 1, 4 + k);
      }
      expect(diff).toBeLessThan(1e-4);
    });

    test('the scoring graph agrees with the decode graph', async () => {
      const scorer = await session(buildScoreGraph(config).toBytes());
      const prompt = ids.slice(0, 4);
      const response = ids.slice(4, 9);
      const full = await fullForward(prompt.concat(response));
      let expected = 0;
      for (let t = prompt.length - 1; t < prompt.length + response.length - 1; t++) {
        const row = full.subarray(t * V, (t + 1) * V);
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
        expected += row[ids[t + 1]] - lse;
      }
      // A second, longer row forces right padding on the first.
      const out = await scorer.run({ ...weights, ...packSequences([prompt, [3]], [response, ids.slice(0, 10)]) });
      expect(Math.abs((out.logps.data as Float32Array)[0] - expected)).toBeLessThan(1e-3);
      expect(Array.from(out.token_count.data as Float32Array)).toEqual([5, 10]);
      await scorer.release();
    });
  });
}
