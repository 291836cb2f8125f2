import { hostRewardRuntime } from '../../../engine/runtime/hosted';
import { threadPolicyRuntime } from '../../../engine/runtime/policy-runtimes';
import { createPolicyRuntime } from '../../../engine/model/runtime';
import { initPolicy, initRewardModel } from '../../../engine/model/gpt';
import type { ResolvedModelConfig, TrainState } from '../../../engine/model/api';
import { releaseSessions } from '../../../engine/runtime/sessions';

const config: ResolvedModelConfig = { vocab: 12, dModel: 16, layers: 1, heads: 2, context: 16, tiedHead: true };
const runtime = { provider: 'cpu' as const, fallback: 'none' as const, threads: 1 };

afterAll(() => releaseSessions());

function zeros(w: TrainState['weights']): TrainState['weights'] {
  return new Map([...w].map(([k, t]) => [k, { dtype: 'float32' as const, shape: t.shape, data: new Float32Array(t.data.length) }]));
}

describe('hosted runtimes (worker thread)', () => {
  it('a hosted policy samples and trains bit-identically to an in-process one', async () => {
    const weights = initPolicy(config, 3);
    const local = await createPolicyRuntime(config, runtime);
    const hosted = await threadPolicyRuntime(config, runtime);
    try {
      expect(hosted.config).toEqual(config);
      const opts = { temperatures: [1, 0.7], topK: 0, topP: 1, maxNewTokens: 6, stopTokens: [], seed: 5 };
      const prompts = [[1, 4], [1, 5, 6]];
      expect(await hosted.sample(weights, prompts, opts)).toEqual(await local.sample(weights, prompts, opts));
      const batch = { prompts: [[1, 4]], chosen: [[7, 8, 2]], rejected: [[9, 2]], refChosen: [-7], refRejected: [-5] };
      const hyper = { loss: 'sigmoid' as const, beta: 0.1, labelSmoothing: 0, lr: 1e-2, weightDecay: 0, maxGradNorm: 1 };
      const state: TrainState = { weights, m: zeros(weights), v: zeros(weights), step: 0 };
      const a = await local.preferenceStep(state, batch, hyper);
      const b = await hosted.preferenceStep(state, batch, hyper);
      expect(b.metrics).toEqual(a.metrics);
      expect(b.state.step).toBe(1);
      for (const [name, t] of a.state.weights) expect(Array.from(b.state.weights.get(name)!.data)).toEqual(Array.from(t.data));
      // the caller's state is untouched (arguments are copied to the worker)
      expect(state.weights.get('transformer.wte.weight')!.data.length).toBe(config.vocab * config.dModel);
      await expect(hosted.preferenceStep(state, batch, { ...hyper, loss: 'nope' as never })).rejects.toThrow(/nope/);
    } finally {
      await hosted.dispose();
      await local.dispose();
    }
  });

  it('a hosted reward model scores, and a bad config fails at creation with the model error', async () => {
    const reward = await hostRewardRuntime(config, runtime);
    try {
      const scores = await reward.score(initRewardModel(config, 1), [[1, 4]], [[5, 2]]);
      expect(scores).toHaveLength(1);
      expect(Number.isFinite(scores[0])).toBe(true);
    } finally {
      await reward.dispose();
    }
    await expect(threadPolicyRuntime({ ...config, heads: 3 }, runtime)).rejects.toThrow(/heads|dModel|divisible/i);
  });
});
