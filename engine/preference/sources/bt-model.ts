/**
 * reward.source 'bt-model': the paper's r_MLE, re-fitted on every preference pair of iterations 0..t-1.
 * - model 'linear': Bradley-Terry linear in the task's features, fitted by Newton (rank/reward-model.json).
 * - model 'neural': the policy's trunk with a scalar head, `steps` AdamW minibatch steps at `lr`, warm-started from the
 *   previous iteration's reward model (rank/reward-model.safetensors: a prefloop checkpoint with AdamW moments, whose
 *   metadata warmStart is the sha256 it started from) or else from a seeded init.
 * Before any preference exists, the first batch is ranked by the simulated human (as bt-oracle) to bootstrap it.
 * The model only picks pairs: the simulated human labels each one (filter), so r_MLE learns from its labels.
 */
import { MEDIA_TYPES } from '../../../schemas/artifacts';
import type { RewardSourceSpec } from '../../../schemas/campaign';
import { getCheckpoint, putCheckpoint } from '../../checkpoint/stored';
import type { TrainState } from '../../model/api';
import { initRewardModel } from '../../model/gpt';
import { fitLinearBT, linearReward } from '../bt-model';
import { fitNeuralBT } from '../neural-bt';
import { askOracle } from '../oracle';
import type { RewardContext, RewardSource } from '../reward-source';
import type { Pair, Sample } from '../types';
import { perceivedPerResponse } from './bt-oracle';

type BtModelSpec = Extract<RewardSourceSpec, { kind: 'bt-model' }>;

/** Pairs per AdamW step of the neural fit: a few dozen pairs per iteration is the scale of these campaigns. */
const NEURAL_BATCH = 16;
const NEURAL_MODEL = 'reward-model.safetensors';
const LINEAR_MODEL = 'reward-model.json';

async function linearScores(spec: BtModelSpec, prefs: Pair[], groups: Sample[][], ctx: RewardContext): Promise<number[][]> {
  const { task } = ctx;
  const diffs = prefs.map((p) => {
    const c = task.features(p.prompt, p.chosen), r = task.features(p.prompt, p.rejected);
    return c.map((x, k) => x - r[k]);
  });
  const model = fitLinearBT(diffs, task.featureDim, { maxIterations: spec.steps });
  await ctx.store.put(ctx.key(LINEAR_MODEL), new TextEncoder().encode(JSON.stringify(model)), MEDIA_TYPES.json);
  return groups.map((group) => group.map((s) => linearReward(model, task.features(s.prompt, s.response))));
}

/** A re-run after a crash warm-starts from the same previous-iteration model, so it writes the same bytes. */
async function neuralScores(spec: BtModelSpec, prefs: Pair[], groups: Sample[][], ctx: RewardContext): Promise<number[][]> {
  // One stream for the whole fit (init seed, then minibatch order); its single id keeps it apart from (stage, group).
  const rng = ctx.fitRng();
  const initSeed = rng.nextUint32();
  const runtime = await ctx.rewardRuntime(ctx.modelConfig());
  try {
    const previous = ctx.iteration > 1 ? await ctx.store.find(ctx.key(NEURAL_MODEL, ctx.iteration - 1)) : undefined;
    const start: TrainState = previous
      ? (await getCheckpoint(ctx.store, previous)).state
      : { weights: initRewardModel(runtime.config, initSeed), m: new Map(), v: new Map(), step: 0 };
    const fit = await fitNeuralBT(runtime, start, prefs, { steps: spec.steps, lr: spec.lr, batchSize: NEURAL_BATCH, rng, checkAborted: () => ctx.checkAborted() });
    const extra = { preferences: String(prefs.length), loss: String(fit.loss), accuracy: String(fit.accuracy), warmStart: previous ? previous.sha256 : 'init' };
    await putCheckpoint(ctx.store, ctx.key(NEURAL_MODEL), { config: runtime.config, state: fit.state }, extra);
    const flat = groups.flat();
    const scores = await runtime.score(fit.state.weights, flat.map((s) => s.prompt), flat.map((s) => s.response));
    let at = 0;
    return groups.map((group) => group.map(() => scores[at++]));
  } finally {
    await runtime.dispose();
  }
}

export function btModelSource(spec: BtModelSpec): RewardSource {
  return {
    async score(groups, rater, ctx) {
      const prefs = await ctx.preferencesSoFar();
      if (prefs.length === 0) return groups.map((group, g) => perceivedPerResponse(group, rater[g], spec.oracleTemperature, ctx.groupRng(g)));
      return spec.model === 'neural' ? neuralScores(spec, prefs, groups, ctx) : linearScores(spec, prefs, groups, ctx);
    },
    label(chosen, rejected, rng) {
      const keep = askOracle(chosen.raterReward!, rejected.raterReward!, spec.oracleTemperature, rng);
      return keep ? { chosen, rejected, labeler: 'bt-oracle' } : { chosen: rejected, rejected: chosen, labeler: 'bt-oracle' };
    },
  };
}
