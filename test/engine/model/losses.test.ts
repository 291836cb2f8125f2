/**
 * Loss formulas: for given log-probs, every preference loss and metric the graph emits equals PAPER.md's
 * formula computed independently in TypeScript (reference.ts). Runs the same preferenceLoss() the step graphs use.
 */
import { Graph } from '../../../engine/onnx';
import * as ort from 'onnxruntime-node';
import { LOSSES } from '../../../schemas/campaign';
import { preferenceLoss, assertLossName } from '../../../engine/model/losses';
import { PAIR_METRICS } from '../../../engine/model/graphs';
import { paperLoss, paperMetrics, session, testRandom, type PairInput } from './reference';

function lossGraph(loss: string, dtype: 'float32' | 'float64'): Graph {
  const g = new Graph('loss_only');
  const v = (name: string) => g.input(name, dtype, ['pairs']);
  const x = {
    policyChosen: v('pi_w'), policyRejected: v('pi_l'), refChosen: v('ref_w'), refRejected: v('ref_l'),
    lenChosen: v('len_w'), lenRejected: v('len_l'),
  };
  const out = preferenceLoss(g, loss, x, g.input('beta', dtype, []), g.input('label_smoothing', dtype, []));
  g.output(out.loss, 'loss');
  for (const name of PAIR_METRICS) g.output(out.metrics[name], name);
  return g;
}

function pairs(n: number, seed: number): PairInput[] {
  const rand = testRandom(seed);
  return Array.from({ length: n }, () => ({
    piW: -20 * rand() - 1, piL: -20 * rand() - 1, refW: -20 * rand() - 1, refL: -20 * rand() - 1,
    lenW: 1 + Math.floor(rand() * 9), lenL: 1 + Math.floor(rand() * 9),
  }));
}

describe('preference losses match PAPER.md', () => {
  const batch = pairs(9, 42);
  // One pair where the policy already prefers the chosen response, so accuracy is neither 0 nor 1 by accident.
  batch.push({ piW: -2, piL: -9, refW: -5, refL: -5, lenW: 3, lenL: 4 });

  for (const dtype of ['float64', 'float32'] as const) {
    for (const loss of LOSSES) {
      test(`${loss} (${dtype})`, async () => {
        const s = await session(lossGraph(loss, dtype).toBytes());
        const beta = loss === 'ipo' ? 0.5 : 0.1;
        const eps = loss === 'robust' ? 0.2 : 0;
        const Arr = dtype === 'float64' ? Float64Array : Float32Array;
        const col = (f: (p: PairInput) => number) => new ort.Tensor(dtype, Arr.from(batch.map(f)), [batch.length]);
        const out = await s.run({
          pi_w: col((p) => p.piW), pi_l: col((p) => p.piL), ref_w: col((p) => p.refW), ref_l: col((p) => p.refL),
          len_w: col((p) => p.lenW), len_l: col((p) => p.lenL),
          beta: new ort.Tensor(dtype, Arr.of(beta), []), label_smoothing: new ort.Tensor(dtype, Arr.of(eps), []),
        });
        // float32 inputs are rounded to ~7 digits, so compare relative to the quantity's size there.
        const tol = (x: number) => (dtype === 'float64' ? 1e-10 : 1e-5 * Math.max(1, Math.abs(x)));
        const expectedLoss = batch.reduce((a, p) => a + paperLoss(loss, p, beta, eps), 0) / batch.length;
        const got = Number((out.loss.data as Float64Array)[0]);
        expect(Math.abs(got - expectedLoss)).toBeLessThan(tol(expectedLoss));
        const metrics = paperMetrics(batch, beta);
        for (const name of PAIR_METRICS) {
          const g = Number((out[name].data as Float64Array)[0]);
          expect({ name, diff: Math.abs(g - metrics[name]) < tol(metrics[name]) }).toEqual({ name, diff: true });
        }
        expect(metrics['rewards/accuracies']).toBeGreaterThan(0);
        expect(metrics['rewards/accuracies']).toBeLessThan(1);
        await s.release();
      });
    }
  }

  test('an unknown loss name is a clear error', () => {
    expect(() => assertLossName('kto')).toThrow(/unknown preference loss 'kto'.*sigmoid, robust, ipo, hinge, sigmoid_norm/);
    expect(() => lossGraph('dpo', 'float32')).toThrow(/unknown preference loss 'dpo'/);
  });
});
