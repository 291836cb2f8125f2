/**
 * reward.source 'onnx': the user's sequence-classification reward model, read from under the store root. A model
 * directory (an Optimum export, ../onnx-reward-dir.ts) reads the rendered texts through its own tokenizer and chat
 * template; a bare .onnx file (../onnx-reward.ts) reads the task's own token ids, or with reward.source.tokenizer the
 * task's text re-encoded.
 */
import type { RewardSourceSpec } from '../../../schemas/campaign';
import { checkOnnxRewardFiles, loadOnnxRewardModel, retokenizerFor } from '../onnx-reward';
import { checkOnnxRewardDir, isRewardModelDir, loadOnnxRewardModelDir } from '../onnx-reward-dir';
import { promptOf, rewardDecides, type RewardContext, type RewardSource } from '../reward-source';
import type { Sample } from '../types';

type OnnxSpec = Extract<RewardSourceSpec, { kind: 'onnx' }>;

async function flatScores(spec: OnnxSpec, flat: Sample[], ctx: RewardContext): Promise<Float64Array> {
  const root = ctx.store.root;
  if (await isRewardModelDir(root, spec.model)) {
    const model = await loadOnnxRewardModelDir(root, spec.model, { threads: ctx.threads });
    return model.score(flat.map((s) => ({ prompt: promptOf(ctx, s), response: ctx.task.render(s.response) })));
  }
  const retokenizer = spec.tokenizer ? await retokenizerFor(root, spec.tokenizer, (ids) => ctx.task.render(ids)) : undefined;
  const model = await loadOnnxRewardModel(root, spec.model, { threads: ctx.threads, padId: retokenizer?.padId });
  const encode = retokenizer ? (ids: number[]) => retokenizer.encode(ids) : (ids: number[]) => ids;
  return model.score(flat.map((s) => encode(s.prompt)), flat.map((s) => encode(s.response)));
}

export function onnxSource(spec: OnnxSpec): RewardSource {
  return {
    async score(groups, _rater, ctx) {
      const scores = await flatScores(spec, groups.flat(), ctx);
      let at = 0;
      return groups.map((group) => group.map(() => scores[at++]));
    },
    label: rewardDecides,
    async checkFiles(storeRoot) {
      if (await isRewardModelDir(storeRoot, spec.model)) await checkOnnxRewardDir(storeRoot, spec.model, spec.tokenizer);
      else await checkOnnxRewardFiles(storeRoot, spec.model, spec.tokenizer);
    },
  };
}
