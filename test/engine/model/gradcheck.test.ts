/**
 * Whole-loss gradient check: the backward graph that Graph.grad emits for the SFT loss, every preference loss
 * and the Bradley-Terry loss agrees with central finite differences of the same graph's loss. The graphs are
 * built in float64 from the same definition as production. Central differences with h = 1e-5 carry O(h^2) truncation
 * and O(1e-16 / h) rounding error, about 1e-7 relative on these weights; a wrong backward rule is off by O(1),
 * so a relative tolerance of 1e-5 is both safe and strict.
 */
import * as ort from 'onnxruntime-node';
import type { ResolvedModelConfig } from '../../../engine/model/api';
import { packRewardSequences, packSequences } from '../../../engine/model/batch';
import { initWeights, parameterSpecs, type Head } from '../../../engine/model/gpt';
import { buildBradleyTerryGraph, buildExactObjectiveGraph, buildPreferenceGraph, buildSftGraph, gradName } from '../../../engine/model/graphs';
import { LOSSES } from '../../../schemas/campaign';
import { session, testRandom, TINY_FAMILIES } from './reference';

const CONFIG: ResolvedModelConfig = { vocab: 7, dModel: 8, layers: 1, heads: 2, context: 8, tiedHead: true };

type F64Weights = Map<string, { shape: number[]; data: Float64Array }>;

function weights64(head: Head, config: ResolvedModelConfig): F64Weights {
  const out: F64Weights = new Map();
  const rand = testRandom(11);
  for (const [name, t] of initWeights(config, 5, head)) {
    // Larger-than-init weights and non-trivial gains/biases so every parameter gets a sizeable gradient.
    out.set(name, { shape: t.shape, data: Float64Array.from(t.data, (x) => x * 12 + (rand() - 0.5) * 0.3) });
  }
  return out;
}

function weightFeeds(w: F64Weights): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of w) feeds[name] = new ort.Tensor('float64', t.data, t.shape);
  return feeds;
}

const prompts = [[1, 2], [3], [4, 5, 6]];
const chosen = [[3, 4, 2], [6, 1], [0]];
const rejected = [[5], [2, 2, 2, 3], [1, 6]];

async function check(graphBytes: Uint8Array, head: Head, config: ResolvedModelConfig, data: Record<string, ort.Tensor>) {
  const s = await session(graphBytes);
  const w = weights64(head, config);
  const lossAt = async () => Number(((await s.run({ ...weightFeeds(w), ...data })).loss.data as Float64Array)[0]);
  const out = await s.run({ ...weightFeeds(w), ...data });
  const rand = testRandom(99);
  const h = 1e-5;
  let worst = 0;
  let checked = 0;
  let largest = 0;
  for (const spec of parameterSpecs(config, head)) {
    const grad = out[gradName(spec.name)].data as Float64Array;
    expect(out[gradName(spec.name)].dims).toEqual(spec.shape);
    const t = w.get(spec.name)!;
    // The coordinate with the largest gradient plus one at random: checks both the big and the typical entries.
    let big = 0;
    for (let i = 1; i < grad.length; i++) if (Math.abs(grad[i]) > Math.abs(grad[big])) big = i;
    largest = Math.max(largest, Math.abs(grad[big]));
    for (const i of [big, Math.floor(rand() * grad.length)]) {
      const x = t.data[i];
      t.data[i] = x + h;
      const up = await lossAt();
      t.data[i] = x - h;
      const down = await lossAt();
      t.data[i] = x;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(numeric - grad[i]) / Math.max(1e-4, Math.abs(numeric) + Math.abs(grad[i]));
      worst = Math.max(worst, err);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(20);
  expect(largest).toBeGreaterThan(1e-3); // a loss stuck on a flat region (e.g. an inactive hinge) would prove nothing
  expect(worst).toBeLessThan(1e-5);
  await s.release();
}

/** Feeds of a preference graph on the fixed pairs (float64), with the loss's beta. */
function preferenceFeeds(loss: string) {
  const f64 = (v: number[]) => new ort.Tensor('float64', Float64Array.from(v), [v.length]);
  return {
    ...packSequences(prompts.concat(prompts), chosen.concat(rejected), 'float64'),
    ref_chosen: f64([-6.1, -4.0, -1.5]),
    ref_rejected: f64([-2.2, -8.3, -3.9]),
    beta: new ort.Tensor('float64', Float64Array.of(loss === 'ipo' ? 0.5 : 0.7), []),
    label_smoothing: new ort.Tensor('float64', Float64Array.of(0.15), []),
  };
}

describe('whole-loss gradients agree with finite differences (float64)', () => {
  test('SFT cross-entropy', async () => {
    await check(buildSftGraph(CONFIG, 'float64').toBytes(), 'lm', CONFIG, packSequences(prompts, chosen, 'float64'));
  });

  test('SFT cross-entropy, untied head', async () => {
    const untied = { ...CONFIG, tiedHead: false };
    await check(buildSftGraph(untied, 'float64').toBytes(), 'lm', untied, packSequences(prompts, chosen, 'float64'));
  });

  for (const loss of LOSSES) {
    test(`preference loss ${loss}`, async () => {
      const data = preferenceFeeds(loss);
      await check(buildPreferenceGraph(CONFIG, loss, 'float64').toBytes(), 'lm', CONFIG, data);
    });
  }

  test('exact objective -J over every response of each prompt', async () => {
    // Two prompts x the same three responses (rows prompt by prompt); rewards and log pi0 per [prompt, response].
    const f64 = (v: number[], dims: number[]) => new ort.Tensor('float64', Float64Array.from(v), dims);
    const xs = [prompts[0], prompts[0], prompts[0], prompts[2], prompts[2], prompts[2]];
    const data = {
      ...packSequences(xs, [...chosen, ...chosen], 'float64'),
      rewards: f64([0.3, -1.2, 2.0, 1.1, 0.4, -0.7], [2, 3]),
      ref_logps: f64([Math.log(0.5), Math.log(0.3), Math.log(0.2), Math.log(0.1), Math.log(0.6), Math.log(0.3)], [2, 3]),
      eta: new ort.Tensor('float64', Float64Array.of(0.4), []),
    };
    await check(buildExactObjectiveGraph(CONFIG, 3, 'float64').toBytes(), 'lm', CONFIG, data);
  });

  test('Bradley-Terry reward loss', async () => {
    await check(buildBradleyTerryGraph(CONFIG, 'float64').toBytes(), 'scalar', CONFIG, packRewardSequences(prompts.concat(prompts), chosen.concat(rejected), 'float64'));
  });
});

describe.each(TINY_FAMILIES.map((c) => [c.family, { ...c, layers: 1 }] as const))('%s: whole-loss gradients agree with finite differences (float64)', (_family, config) => {
  test('SFT cross-entropy', async () => {
    await check(buildSftGraph(config, 'float64').toBytes(), 'lm', config, packSequences(prompts, chosen, 'float64'));
  });

  // Every loss on llama (the losses are family-independent code on top of the same log-probs); sigmoid on the others.
  for (const loss of config.family === 'llama' ? LOSSES : ['sigmoid' as const]) {
    test(`preference loss ${loss}`, async () => {
      const data = preferenceFeeds(loss);
      await check(buildPreferenceGraph(config, loss, 'float64').toBytes(), 'lm', config, data);
    });
  }
});
