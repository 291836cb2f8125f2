import { disposeRuntimes, evaluate, filter, rank, sampleShard, setup, update } from '../../../engine/steps';
import type { Pair, ScoredSample } from '../../../engine/preference/types';
import type { UpdateCursor } from '../../../engine/steps/update';
import type { StepContext } from '../../../engine/steps/types';
import type { CampaignSpec } from '../../../schemas/campaign';
import type { ArtifactStore } from '../../../store/types';
import { Graph } from '../../../engine/onnx';
import { tempStore, tinySpec } from './tiny-spec';
import * as fs from 'node:fs';
import * as path from 'node:path';

async function rows<T>(store: ArtifactStore, ref: Parameters<ArtifactStore['readJsonl']>[0]): Promise<T[]> {
  const out: T[] = [];
  for await (const r of store.readJsonl<T>(ref)) out.push(r);
  return out;
}

describe('step functions', () => {
  const { store, cleanup } = tempStore();
  afterAll(async () => { await disposeRuntimes(); cleanup(); });
  const ctx = (spec: CampaignSpec, campaign: string, iteration: number, extra: Partial<StepContext> = {}): StepContext => ({ store, spec, campaign, iteration, ...extra });

  /** Iteration 1 of a campaign up to its pairs. */
  async function pairsOf(spec: CampaignSpec, campaign: string) {
    const s = await setup(ctx(spec, campaign, 0));
    const c1 = ctx(spec, campaign, 1);
    const samples = [];
    for (let shard = 0; shard < 2; shard++) samples.push((await sampleShard(c1, { policy: s.pi0, prompts: s.trainPrompts, shard, shards: 2 })).samples);
    const ranked = await rank(c1, { samples });
    return { s, samples, ranked, filtered: await filter(c1, { scored: ranked.scored }) };
  }

  it('setup trains pi0 once (cached across campaigns) and a finished step returns its output without recomputing', async () => {
    const spec = tinySpec();
    const first = await setup(ctx(spec, 'setup-a', 0));
    const initialEval = await evaluate(ctx(spec, 'setup-a', 0), { checkpoint: first.pi0, pi0: first.pi0 });
    expect(initialEval.kl).toBe(0);
    expect(initialEval.Jstar).toBeGreaterThan(initialEval.J);
    const before = (await store.list('setup-a')).length;
    expect(await setup(ctx(spec, 'setup-a', 0))).toEqual(first);
    expect((await store.list('setup-a')).length).toBe(before);
    expect((await setup(ctx(spec, 'setup-b', 0))).pi0).toEqual(first.pi0);
  });

  it('pairs record prompt, chosen, rejected, both rewards, margin and provenance, within the label budget', async () => {
    const spec = tinySpec({ budget: { labelsPerIteration: 5 } });
    const { ranked, filtered } = await pairsOf(spec, 'pairs');
    const scored = await rows<ScoredSample>(store, ranked.scored);
    expect(scored).toHaveLength(12 * 4);
    const pairs = await rows<Pair>(store, filtered.pairs);
    expect(filtered.count).toBe(pairs.length);
    expect(filtered.labels).toBe(pairs.length);
    expect(pairs.length).toBeLessThanOrEqual(5);
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) {
      expect(p.margin).toBeCloseTo(p.chosenReward - p.rejectedReward, 12);
      expect(p.margin).toBeGreaterThan(0);
      const group = scored.filter((r) => r.promptIndex === p.promptIndex);
      expect(p.chosenReward).toBe(Math.max(...group.map((r) => r.reward)));
      expect(p.rejectedReward).toBe(Math.min(...group.map((r) => r.reward)));
      expect(p.provenance).toMatchObject({ sourceIteration: 0, stage: 0, chosenSampler: 'policy', labeler: 'reward' });
      expect([1.0, 0.7]).toContain(p.provenance.chosenTemperature);
    }
  });

  it('sampling is deterministic and resumes from its finished chunks', async () => {
    const spec = tinySpec({ sampling: { promptsPerIteration: 20, n: 4, shards: 1 } });
    const s = await setup(ctx(spec, 'sample-a', 0));
    const whole = await sampleShard(ctx(spec, 'sample-a', 1), { policy: s.pi0, prompts: s.trainPrompts, shard: 0, shards: 1 });
    const controller = new AbortController();
    const cursors: unknown[] = [];
    await setup(ctx(spec, 'sample-b', 0));
    const interrupted = sampleShard(ctx(spec, 'sample-b', 1, { signal: controller.signal, progress: (c) => { cursors.push(c); controller.abort(); } }), { policy: s.pi0, prompts: s.trainPrompts, shard: 0, shards: 1 });
    await expect(interrupted).rejects.toThrow(/cancelled/);
    expect(cursors).toHaveLength(1);
    const resumed = await sampleShard(ctx(spec, 'sample-b', 1, { resumeFrom: cursors[0] }), { policy: s.pi0, prompts: s.trainPrompts, shard: 0, shards: 1 });
    expect(resumed.samples.sha256).toBe(whole.samples.sha256);
    expect(resumed.rows).toBe(20 * 4);
  });

  it('an update interrupted after a checkpoint and resumed from its cursor ends bit-identical', async () => {
    const spec = tinySpec({ update: { lr: 1e-2, epochs: 2, batchSize: 2, gradientAccumulation: 2, checkpointEvery: 2, schedule: 'cosine', warmup: 0.2 } });
    const { s, filtered } = await pairsOf(spec, 'update');
    const input = { policy: s.pi0, reference: s.pi0, pairs: [filtered.pairs] };
    const straight = await update(ctx(spec, 'update-straight', 1), input);
    expect(straight.train.step).toBeGreaterThan(2);

    const controller = new AbortController();
    const cursors: UpdateCursor[] = [];
    const progress = (c: unknown) => { cursors.push(c as UpdateCursor); controller.abort(); };
    await expect(update(ctx(spec, 'update-resumed', 1, { signal: controller.signal, progress }), input)).rejects.toThrow(/cancelled/);
    expect(cursors.map((c) => c.step)).toEqual([2]);
    const resumed = await update(ctx(spec, 'update-resumed', 1, { resumeFrom: cursors[0] }), input);
    expect(resumed.checkpoint.sha256).toBe(straight.checkpoint.sha256);
    expect(resumed.log.sha256).toBe(straight.log.sha256);
    expect(straight.checkpoint.sha256).not.toBe(s.pi0.sha256);
    for (const k of ['loss', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'grad_norm']) expect(straight.train).toHaveProperty([k]);
  });

  it('an update on a compute thread (its state handed over: moved to the thread and back, never copied) ends bit-identical to one inline, resumed or not', async () => {
    const spec = tinySpec({ update: { lr: 1e-2, epochs: 2, batchSize: 2, gradientAccumulation: 1, checkpointEvery: 2, schedule: 'cosine', warmup: 0.2 } });
    const { s, filtered } = await pairsOf(spec, 'update-thread');
    const input = { policy: s.pi0, reference: s.pi0, pairs: [filtered.pairs] };
    const inline = await update(ctx(spec, 'update-inline', 1), input);
    const thread = await update(ctx(spec, 'update-on-thread', 1, { compute: 'worker-thread' }), input);
    expect(thread.checkpoint.sha256).toBe(inline.checkpoint.sha256);
    expect(thread.log.sha256).toBe(inline.log.sha256);
    const controller = new AbortController();
    const cursors: UpdateCursor[] = [];
    const progress = (c: unknown) => { cursors.push(c as UpdateCursor); controller.abort(); };
    await expect(update(ctx(spec, 'update-thread-resumed', 1, { compute: 'worker-thread', signal: controller.signal, progress }), input)).rejects.toThrow(/cancelled/);
    const resumed = await update(ctx(spec, 'update-thread-resumed', 1, { compute: 'worker-thread', resumeFrom: cursors[0] }), input);
    expect(resumed.checkpoint.sha256).toBe(inline.checkpoint.sha256);
  });

  it('sampling, evaluation and an update against a separate reference on a compute thread (their weights handed over, moved there) write what inline does', async () => {
    const base = { sampling: { promptsPerIteration: 20, n: 2, shards: 1 }, update: { lr: 1e-2, epochs: 1, batchSize: 2, gradientAccumulation: 1, checkpointEvery: 4 } };
    const spec = tinySpec(base);
    const { s, filtered } = await pairsOf(spec, 'handover');
    const first = await update(ctx(spec, 'handover', 1), { policy: s.pi0, reference: s.pi0, pairs: [filtered.pairs] });
    // Three chunks of prompts: the handed-over weights are named again after the first call moved them.
    const shard = { policy: first.checkpoint, prompts: s.trainPrompts, shard: 0, shards: 1 };
    const sampledInline = await sampleShard(ctx(spec, 'handover-inline', 2), shard);
    const sampledThread = await sampleShard(ctx(spec, 'handover-thread', 2, { compute: 'worker-thread' }), shard);
    expect(sampledThread.samples.sha256).toBe(sampledInline.samples.sha256);
    // The reference (pi0) is not the policy: loaded for its log-probs alone, it is handed over.
    const second = { policy: first.checkpoint, reference: s.pi0, pairs: [filtered.pairs] };
    const updatedInline = await update(ctx(spec, 'handover-inline', 2), second);
    const updatedThread = await update(ctx(spec, 'handover-thread', 2, { compute: 'worker-thread' }), second);
    expect(updatedThread.checkpoint.sha256).toBe(updatedInline.checkpoint.sha256);
    expect(updatedThread.log.sha256).toBe(updatedInline.log.sha256);
    // Evaluation names both the checkpoint and pi0 many times, exactly and by sampling.
    for (const evaluation of [{ prompts: 4 }, { prompts: 4, exact: false, samplesPerPrompt: 3 }]) {
      const evalSpec = tinySpec({ ...base, evaluation });
      const input = { checkpoint: updatedInline.checkpoint, pi0: s.pi0 };
      const inline = await evaluate(ctx(evalSpec, `handover-eval-inline-${evaluation.exact ?? true}`, 2), input);
      expect(await evaluate(ctx(evalSpec, `handover-eval-thread-${evaluation.exact ?? true}`, 2, { compute: 'worker-thread' }), input)).toEqual(inline);
      expect(inline.kl).toBeGreaterThan(0);
    }
  });

  it('bt-oracle and bt-model reward sources rank, and bt-model is fitted on the preferences so far', async () => {
    for (const source of [{ kind: 'bt-oracle' as const, temperature: 0.5 }, { kind: 'bt-model' as const }]) {
      const spec = tinySpec({ algorithm: 'hybrid', reward: { source } });
      const { s, filtered } = await pairsOf(spec, `source-${source.kind}`);
      expect(s.offlinePairs).toBeDefined();
      const pairs = await rows<Pair>(store, filtered.pairs);
      expect(pairs.every((p) => p.provenance.labeler === 'bt-oracle')).toBe(true);
      const model = await store.find({ campaign: `source-${source.kind}`, iteration: 1, step: 'rank', name: 'reward-model.json' });
      expect(model !== undefined).toBe(source.kind === 'bt-model');
    }
  });

  it('a neural bt-model ranks with the reward model it fits, the same inline and on a worker thread', async () => {
    const spec = tinySpec({ algorithm: 'hybrid', reward: { source: { kind: 'bt-model', model: 'neural', steps: 3 } } });
    const { samples, ranked } = await pairsOf(spec, 'neural-inline');
    // Campaign 'neural-worker' has the same D_off (setup) and ranks the same samples, off the event loop.
    await setup(ctx(spec, 'neural-worker', 0));
    const onWorker = await rank(ctx(spec, 'neural-worker', 1, { compute: 'worker-thread' }), { samples });
    expect(onWorker.scored.sha256).toBe(ranked.scored.sha256);
    const model = (campaign: string) => store.find({ campaign, iteration: 1, step: 'rank', name: 'reward-model.safetensors' });
    expect((await model('neural-worker'))!.sha256).toBe((await model('neural-inline'))!.sha256);
    // The rewards are the model's, not the rater's: they differ from raterReward on some sample.
    const scored = await rows<ScoredSample>(store, ranked.scored);
    expect(scored.some((r) => Math.abs(r.reward - r.raterReward!) > 1e-6)).toBe(true);
    expect(await store.find({ campaign: 'neural-inline', iteration: 1, step: 'rank', name: 'reward-model.json' })).toBeUndefined();
  });

  it('a reward model path that escapes the store root is refused, naming reward.source.model', async () => {
    for (const model of ['../outside.onnx', '/etc/passwd']) {
      const spec = tinySpec({ reward: { source: { kind: 'onnx', model } } });
      const err = await pairsOf(spec, 'escape').catch((e: Error) => e);
      expect((err as Error).name).toBe('InvalidInputError');
      expect((err as Error).message).toMatch(/^reward\.source\.model: path .* is refused/);
    }
  });

  it('an ONNX reward source scores every sample with the user model, minus the length penalty', async () => {
    // logits = sum over prompt + response tokens of table[token]: a model whose scores the test can recompute.
    const table = [0.5, -1, 2];
    const g = new Graph('user-reward');
    const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
    const mask = g.input('attention_mask', 'int64', ['batch', 'seq']);
    g.output(g.reduceSum(g.mul(g.gather(g.constant(table, 'float32', [3]), ids), g.cast(mask, 'float32')), [1], true), 'logits');
    // User files live under the store root; the spec names them relative to it.
    fs.mkdirSync(path.join(store.root, 'inputs'), { recursive: true });
    fs.writeFileSync(path.join(store.root, 'inputs', 'user-reward.onnx'), g.toBytes());
    const spec = tinySpec({ reward: { source: { kind: 'onnx', model: 'inputs/user-reward.onnx' }, lengthPenalty: 0.1 } });
    const { ranked } = await pairsOf(spec, 'onnx-source');
    const scored = await rows<ScoredSample>(store, ranked.scored);
    for (const r of scored) {
      const expected = [...r.prompt, ...r.response].reduce((a, t) => a + table[t], 0) - 0.1 * r.response.length;
      expect(r.reward).toBeCloseTo(expected, 5);
    }
  });
});
