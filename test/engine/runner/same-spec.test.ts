import { MEDIA_TYPES } from '../../../schemas/artifacts';
import { runCampaign } from '../../../engine/runner';
import { specDifferences } from '../../../engine/runner/same-spec';
import { disposeRuntimes } from '../../../engine/steps';
import { tempStore, tinySpec } from '../steps/tiny-spec';

/** spec.json as an older prefloop wrote it: without fields the schema gained since (with their defaults). */
function olderSpecText(spec: ReturnType<typeof tinySpec>): string {
  const old = JSON.parse(JSON.stringify(spec)) as Record<string, Record<string, unknown>>;
  delete old.evaluation.select;
  delete old.execution;
  return JSON.stringify(old);
}

describe('a campaign id is resumed with the same spec, read under today\'s schema', () => {
  const { store, cleanup } = tempStore();
  afterAll(async () => { await disposeRuntimes(); cleanup(); });
  const specKey = (campaign: string) => ({ campaign, iteration: 0, step: 'setup', name: 'spec.json' });

  it('a campaign an older version started (and was killed at its start) resumes when only defaults were added', async () => {
    const spec = tinySpec({ iterations: 1, name: 'older' });
    await store.put(specKey('older'), new TextEncoder().encode(olderSpecText(spec)), MEDIA_TYPES.json);
    const resumed = await runCampaign(spec, { store, campaign: 'older' });
    const fresh = await runCampaign(spec, { store, campaign: 'fresh' });
    expect(resumed.finalCheckpoint.sha256).toBe(fresh.finalCheckpoint.sha256);
  });

  it('a finished campaign whose spec.json an older version wrote returns its finished steps', async () => {
    const spec = tinySpec({ iterations: 1, name: 'finished' });
    const first = await runCampaign(spec, { store, campaign: 'finished' });
    await store.put(specKey('finished'), new TextEncoder().encode(olderSpecText(spec)), MEDIA_TYPES.json);
    const again = await runCampaign(spec, { store, campaign: 'finished' });
    expect(again.iterations.map((r) => r.artifacts.checkpoint)).toEqual(first.iterations.map((r) => r.artifacts.checkpoint));
  });

  it('a different value is refused, naming the field with its stored and new values', async () => {
    await runCampaign(tinySpec({ iterations: 1, name: 'changed' }), { store, campaign: 'changed' });
    await expect(runCampaign(tinySpec({ iterations: 1, name: 'changed', seed: 4 }), { store, campaign: 'changed' }))
      .rejects.toThrow(/campaign 'changed' already exists .* with a different spec \(stored -> now: seed: 3 -> 4\); give this run another campaign name/);
  });

  it('a stored spec that today\'s schema rejects is refused with the schema\'s reason', async () => {
    const spec = tinySpec({ iterations: 1, name: 'removed' });
    const stored = { ...JSON.parse(JSON.stringify(spec)), retiredField: 1 };
    await store.put(specKey('removed'), new TextEncoder().encode(JSON.stringify(stored)), MEDIA_TYPES.json);
    await expect(runCampaign(spec, { store, campaign: 'removed' })).rejects.toThrow(/with a different spec \(its stored spec is not valid under this version's schema: .*retiredField/);
  });

  it('specDifferences lists every differing path, absent fields included', () => {
    expect(specDifferences({ a: 1, b: { c: [1, 2], d: 'x' } }, { a: 1, b: { c: [1, 3], e: true } }))
      .toEqual(['b.c: [1,2] -> [1,3]', 'b.d: "x" -> (absent)', 'b.e: (absent) -> true']);
    expect(specDifferences({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
