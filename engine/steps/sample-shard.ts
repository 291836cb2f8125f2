/**
 * sampleShard: n responses per prompt for this shard's part of the iteration's prompt slice, from one of the
 * plan's samplers. Written in chunks of CHUNK_PROMPTS prompts, each its own artifact, so an interrupted attempt
 * resumes at the first missing chunk; the shard file is the chunks concatenated.
 * Responses are exactly the task's length on an enumerable task (so the exact evaluation's response space is the
 * sampled one), else at most min(task limit, sampling.maxNewTokens) tokens.
 */
import type { ArtifactRef } from '../../schemas/artifacts';
import type { Sample } from '../preference/types';
import { checkAborted, findOutput, keyOf, loadWeights, putJson, readRows, seedOf, taskOf, withPolicyRuntime } from './common';
import { stepPlan } from './plan-of';
import type { SampleShardInput, SampleShardOutput, StepContext } from './types';
import { InvalidInputError } from '../errors';

export const CHUNK_PROMPTS = 8;

interface PromptRow { index: number; prompt: number[] }

export async function sampleShard(ctx: StepContext, input: SampleShardInput): Promise<SampleShardOutput> {
  const samplerIndex = input.sampler ?? 0;
  const { shard, shards } = input;
  if (!Number.isInteger(shards) || shards < 1 || !Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new InvalidInputError(`sampleShard: shard must be an integer in [0, shards) and shards >= 1, got shard ${shard} of ${shards}`);
  }
  const plan = stepPlan(ctx.spec, ctx.iteration);
  const sampler = plan.samplers[samplerIndex];
  if (!sampler) throw new InvalidInputError(`sampleShard: sampler ${samplerIndex} does not exist; iteration ${ctx.iteration}'s plan has ${plan.samplers.length}`);
  const base = `sampler${samplerIndex}-shard${shard}of${shards}`;
  const outputKey = keyOf(ctx, 'sample', `${base}.output.json`);
  const done = await findOutput<SampleShardOutput>(ctx.store, outputKey);
  if (done) return done;

  const pool = await readRows<PromptRow>(ctx.store, [input.prompts]);
  if (pool.length === 0) throw new InvalidInputError(`sampleShard: prompt pool ${input.prompts.uri} is empty`);
  const slice = Array.from({ length: plan.prompts.count }, (_, i) => pool[(plan.prompts.offset + i) % pool.length]);
  const per = Math.ceil(slice.length / shards);
  const mine = slice.slice(shard * per, (shard + 1) * per);
  const task = await taskOf(ctx);
  const weights = await loadWeights(ctx.store, input.policy);
  const role: Sample['sampler'] = sampler.policy === 'current' ? 'policy' : 'initial';
  const sourceIteration = role === 'initial' ? 0 : Math.max(0, ctx.iteration - 1);

  const chunks: ArtifactRef[] = [];
  await withPolicyRuntime(ctx, async (runtime) => {
    for (let c = 0; c * CHUNK_PROMPTS < mine.length; c++) {
      const key = keyOf(ctx, 'sample', `${base}-chunk${c}.jsonl`);
      let ref = await ctx.store.find(key);
      if (!ref) {
        checkAborted(ctx);
        const prompts = mine.slice(c * CHUNK_PROMPTS, (c + 1) * CHUNK_PROMPTS);
        const rows = prompts.flatMap((p) => Array.from({ length: sampler.n }, (_, k) => ({ p, k })));
        const temperatures = rows.map(({ k }) => sampler.temperatures[k % sampler.temperatures.length]);
        const responses = await runtime.sample(weights, rows.map(({ p }) => p.prompt), {
          temperatures, topK: ctx.spec.sampling.topK, topP: ctx.spec.sampling.topP,
          maxNewTokens: task.enumerable ? task.maxNewTokens : Math.min(task.maxNewTokens, ctx.spec.sampling.maxNewTokens),
          stopTokens: task.stopTokens, seed: seedOf(ctx, 'sample', plan.stage, samplerIndex, shard, c),
        }, { consume: true }); // loaded for this step alone: a compute thread takes them rather than a copy
        const samples: Sample[] = rows.map(({ p, k }, i) => ({
          promptIndex: p.index, prompt: p.prompt, response: responses[i], temperature: temperatures[i], sampler: role, sourceIteration, index: k,
        }));
        ref = await ctx.store.putJsonl(key, samples);
        ctx.progress?.({ step: 'sample', shard, sampler: samplerIndex, chunk: c, ref });
      }
      chunks.push(ref);
    }
  });
  const all = await readRows<Sample>(ctx.store, chunks);
  const samples = await ctx.store.putJsonl(keyOf(ctx, 'sample', `${base}.jsonl`), all);
  const out: SampleShardOutput = { samples, rows: all.length };
  await putJson(ctx.store, outputKey, out);
  return out;
}
