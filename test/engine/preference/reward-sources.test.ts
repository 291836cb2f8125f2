import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rewardSourceFor, type RewardContext } from '../../../engine/preference';
import type { Sample, ScoredSample } from '../../../engine/preference/types';
import { rngFor } from '../../../engine/sampling/rng';
import type { RewardSourceSpec } from '../../../schemas/campaign';

const sample = (index: number, response: number[]): Sample => ({ promptIndex: 0, prompt: [1], response, temperature: 1, sampler: 'policy', sourceIteration: 0, index });
const scored = (s: Sample, raterReward: number, reward: number): ScoredSample => ({ ...s, raterReward, reward, gold: raterReward });

/** Only what the sources under test read: group streams and (no) earlier preferences. */
function context(): RewardContext {
  const unused = () => { throw new Error('not read by this test'); };
  return {
    task: undefined as never, iteration: 1, step: 'rank', split: 'train', campaign: 'c', store: undefined as never, key: unused, threads: 1,
    groupRng: (g) => rngFor(7, 1, 99, g), fitRng: () => rngFor(7, 1, 98), preferencesSoFar: async () => [],
    modelConfig: unused, rewardRuntime: unused, checkAborted: () => undefined,
  };
}

describe('reward sources', () => {
  const group = [sample(0, [2, 2]), sample(1, [3, 3]), sample(2, [2, 2])];
  const rater = [[0.5, 1.5, 0.5]];

  it('gold scores with what the labeler perceives and lets the reward decide the pair', async () => {
    const gold = rewardSourceFor({ kind: 'gold' });
    expect(await gold.score([group], rater, context())).toEqual(rater);
    const [a, b] = [scored(group[1], 1.5, 1.5), scored(group[0], 0.5, 0.5)];
    expect(gold.label(a, b, rngFor(1))).toEqual({ chosen: a, rejected: b, labeler: 'reward' });
  });

  it('bt-oracle draws one perceived utility per distinct response and is the labeler of its pairs', async () => {
    const oracle = rewardSourceFor({ kind: 'bt-oracle', temperature: 1 });
    const [scores] = await oracle.score([group], rater, context());
    expect(scores[0]).toBe(scores[2]);
    expect(scores[1]).not.toBe(scores[0]);
    const [a, b] = [scored(group[1], 1.5, scores[1]), scored(group[0], 0.5, scores[0])];
    expect(oracle.label(a, b, rngFor(1))).toEqual({ chosen: a, rejected: b, labeler: 'bt-oracle' });
  });

  it('bt-model bootstraps with the oracle before any preference, and the simulated human labels the pairs it picks', async () => {
    const spec: RewardSourceSpec = { kind: 'bt-model', oracleTemperature: 1e-3, model: 'linear', steps: 10, lr: 1e-2 };
    const model = rewardSourceFor(spec);
    const oracle = rewardSourceFor({ kind: 'bt-oracle', temperature: 1e-3 });
    expect(await model.score([group], rater, context())).toEqual(await oracle.score([group], rater, context()));
    // The model ranked the worse response (rater 0.5) first; a near-noiseless human swaps them.
    const [worse, better] = [scored(group[0], 0.5, 2), scored(group[1], 1.5, 1)];
    expect(model.label(worse, better, rngFor(1))).toEqual({ chosen: better, rejected: worse, labeler: 'bt-oracle' });
  });

  it('onnx refuses a reward model file that is missing, before any compute', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-sources-'));
    try {
      const onnx = rewardSourceFor({ kind: 'onnx', model: 'inputs/rm.onnx' });
      await expect(onnx.checkFiles!(root)).rejects.toThrow(/reward\.source\.model: file 'inputs\/rm\.onnx' does not exist/);
      expect(rewardSourceFor({ kind: 'gold' }).checkFiles).toBeUndefined();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('an unknown kind is refused with the kinds there are', () => {
    expect(() => rewardSourceFor({ kind: 'human' } as unknown as RewardSourceSpec)).toThrow("reward.source.kind 'human' is not known; use one of gold, bt-oracle, onnx, bt-model, activity");
  });
});
