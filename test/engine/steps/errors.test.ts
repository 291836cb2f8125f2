import { runCampaign } from '../../../engine/runner';
import { disposeRuntimes, sampleShard, setup } from '../../../engine/steps';
import { resolvedModelConfig } from '../../../engine/steps/common';
import { loadTask, taskFromSpec } from '../../../engine/tasks';
import { tempStore, tinySpec } from './tiny-spec';

describe('bad input fails early with the field and the fix', () => {
  const { store, cleanup } = tempStore();
  afterAll(async () => { await disposeRuntimes(); cleanup(); });

  it('a model context too short for the task names policy.model.context', () => {
    const spec = tinySpec({ policy: { source: 'builtin', model: { dModel: 16, layers: 1, heads: 2, context: 4 } } });
    expect(() => resolvedModelConfig(spec, taskFromSpec(spec))).toThrow(/policy.model.context is 4 but task 'bandit' needs 5.*raise policy.model.context/);
  });

  it('a vocab that disagrees with the task names policy.model.vocab', () => {
    const spec = tinySpec({ policy: { source: 'builtin', model: { vocab: 9, dModel: 16, layers: 1, heads: 2, context: 8 } } });
    expect(() => resolvedModelConfig(spec, taskFromSpec(spec))).toThrow(/policy.model.vocab is 9 but task 'bandit' needs 3/);
  });

  it('a files task on the built-in policy names task.name (pi0 is the given Hugging Face model)', async () => {
    const spec = tinySpec({ task: { name: 'files', prompts: 'p.jsonl', evalPrompts: 'e.jsonl' } });
    await expect(loadTask(spec)).rejects.toThrow(/task.name 'files'/);
  });

  it('a shard outside [0, shards) and a missing sampler are errors', async () => {
    const spec = tinySpec();
    const s = await setup({ store, spec, campaign: 'errors', iteration: 0 });
    const ctx = { store, spec, campaign: 'errors', iteration: 1 };
    await expect(sampleShard(ctx, { policy: s.pi0, prompts: s.trainPrompts, shard: 2, shards: 2 })).rejects.toThrow(/shard must be an integer in \[0, shards\)/);
    await expect(sampleShard(ctx, { policy: s.pi0, prompts: s.trainPrompts, shard: 0, shards: 1, sampler: 3 })).rejects.toThrow(/sampler 3 does not exist/);
  });

  it('re-running a campaign id with a different spec is refused instead of mixing results', async () => {
    await runCampaign(tinySpec({ iterations: 1 }), { store, campaign: 'respec' });
    await expect(runCampaign(tinySpec({ iterations: 1, seed: 4 }), { store, campaign: 'respec' })).rejects.toThrow(/campaign 'respec' already exists .* with a different spec/);
  });
});
