import { ALGORITHMS } from '../../../schemas/campaign';
import { CampaignSummarySchema } from '../../../schemas/results';
import { decodeCheckpoint } from '../../../engine/checkpoint/checkpoint';
import { runCampaign } from '../../../engine/runner';
import { disposeRuntimes } from '../../../engine/steps';
import type { UpdateCursor } from '../../../engine/steps/update';
import { tempStore, tinySpec } from '../steps/tiny-spec';

describe('in-process runner', () => {
  const stores = [tempStore(), tempStore()];
  afterAll(async () => { await disposeRuntimes(); stores.forEach((s) => s.cleanup()); });

  it.each(ALGORITHMS)('a tiny %s campaign completes with a valid summary', async (algorithm) => {
    const summary = await runCampaign(tinySpec({ algorithm, name: algorithm }), { store: stores[0].store });
    expect(CampaignSummarySchema.parse(summary)).toEqual(summary);
    expect(summary.iterations).toHaveLength(2);
    expect(summary.labels).toBeGreaterThan(0);
    expect(summary.iterations.every((r) => r.pairs > 0 && r.eval.exact)).toBe(true);
    expect(summary.finalCheckpoint).toEqual(summary.iterations[1].artifacts.checkpoint);
    expect(summary.iterations[0].eval.Jstar).toBeCloseTo(summary.initial.Jstar!, 12);
  });

  it('the same spec twice gives the same final checkpoint', async () => {
    const spec = tinySpec({ algorithm: 'online-iterative-dpo', name: 'twice' });
    const a = await runCampaign(spec, { store: stores[0].store, campaign: 'twice-a' });
    const b = await runCampaign(spec, { store: stores[1].store, campaign: 'twice-b' });
    expect(b.finalCheckpoint.sha256).toBe(a.finalCheckpoint.sha256);
    expect(b.iterations.map((r) => r.eval)).toEqual(a.iterations.map((r) => r.eval));
  });

  it('a bt-model neural campaign completes, warm-starts its reward model, and is deterministic', async () => {
    const spec = tinySpec({ algorithm: 'online-iterative-dpo', name: 'neural-rm', iterations: 3, reward: { source: { kind: 'bt-model', model: 'neural', steps: 6, lr: 1e-2 } } });
    const a = await runCampaign(spec, { store: stores[0].store, campaign: 'neural-a' });
    const b = await runCampaign(spec, { store: stores[1].store, campaign: 'neural-b' });
    expect(a.iterations).toHaveLength(3);
    expect(b.finalCheckpoint.sha256).toBe(a.finalCheckpoint.sha256);
    const key = (campaign: string, iteration: number) => ({ campaign, iteration, step: 'rank' as const, name: 'reward-model.safetensors' });
    // Iteration 1 has no preferences yet (the oracle bootstraps it); 2 fits from a seeded init; 3 continues 2's model.
    expect(await stores[0].store.find(key('neural-a', 1))).toBeUndefined();
    const second = (await stores[0].store.find(key('neural-a', 2)))!;
    const third = (await stores[0].store.find(key('neural-a', 3)))!;
    expect((await stores[1].store.find(key('neural-b', 3)))!.sha256).toBe(third.sha256);
    const m2 = decodeCheckpoint(await stores[0].store.get(second));
    const m3 = decodeCheckpoint(await stores[0].store.get(third));
    expect(m2.metadata.warmStart).toBe('init');
    expect(m3.metadata.warmStart).toBe(second.sha256);
    expect([m2.state.step, m3.state.step]).toEqual([6, 12]);
    expect(m3.state.weights.has('score.weight')).toBe(true);
  });

  it('a campaign whose update is interrupted after k steps and resumed ends with the same checkpoint', async () => {
    const spec = tinySpec({ algorithm: 'online-iterative-dpo', name: 'interrupt' });
    const straight = await runCampaign(spec, { store: stores[0].store, campaign: 'interrupt-straight' });
    const controller = new AbortController();
    let cursor: UpdateCursor | undefined;
    const progress = (c: unknown) => {
      const u = c as UpdateCursor;
      if (u.checkpoint && u.iteration === 2 && u.step === 2) { cursor = u; controller.abort(); }
    };
    await expect(runCampaign(spec, { store: stores[1].store, campaign: 'interrupt-resumed', progress, signal: controller.signal })).rejects.toThrow(/cancelled/);
    expect(cursor?.step).toBe(2);
    const resumed = await runCampaign(spec, { store: stores[1].store, campaign: 'interrupt-resumed', resumeFrom: cursor });
    expect(resumed.finalCheckpoint.sha256).toBe(straight.finalCheckpoint.sha256);
  });
});
