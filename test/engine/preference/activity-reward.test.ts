import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { activityRewards, type RewardActivityCall } from '../../../engine/preference/activity-reward';
import { LocalArtifactStore } from '../../../store/local';
import { reward, score } from '../../../examples/reward-worker/worker';
import { runCampaign } from '../../../engine/runner';
import { tinySpec } from '../../support/specs';

const source = { taskQueue: 'q', activity: 'reward', scheduleToStartTimeout: '1m', startToCloseTimeout: '1m' };
const rows = Array.from({ length: 5 }, (_, i) => ({ id: `r${i}`, prompt: [{ role: 'user' as const, content: 'q' }], response: 'x'.repeat(10 + i) }));

describe('activity reward source (engine side; the worker is examples/reward-worker/worker.ts called directly)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-activity-reward-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const store = new LocalArtifactStore(root);

  it('sends small batches inline, big ones as JSONL in the store that the worker reads by path; ids are stable', async () => {
    const calls: RewardActivityCall[] = [];
    const caller = async (call: RewardActivityCall) => { calls.push(call); return reward(call.request); };
    const ctx = { store, campaign: 'c', iteration: 2, step: 'rank', caller };
    const inline = await activityRewards(ctx, rows, source);
    expect(Array.from(inline)).toEqual(rows.map((r) => score(r)));
    expect(calls[0].request.rows).toHaveLength(5);
    const byRef = await activityRewards(ctx, rows, source, 100);
    expect(Array.from(byRef)).toEqual(Array.from(inline));
    const req = calls[1].request;
    expect(req.rows).toBeUndefined();
    expect(req.ref!.uri).toMatch(/^store:\/\/c\/iter-2\/rank\/reward-requests\/batch-0-[0-9a-f]{16}\.jsonl$/);
    expect(req.path).toBe(path.join(root, 'c', 'iter-2', 'rank', 'reward-requests', path.basename(req.ref!.uri)));
    expect(req.count).toBe(5);
    // The same batch asks under the same id, so a retried step finds its earlier call.
    expect(calls[1].id).toBe(calls[0].id);
    expect(calls[0].id).toMatch(/^c\/iter-2\/rank\/reward-0-[0-9a-f]{16}$/);
  });

  it('is refused outside Temporal workers (no caller), naming the field; the in-process runner refuses it before any compute', async () => {
    await expect(activityRewards({ store, campaign: 'c', iteration: 1, step: 'rank' }, rows, source)).rejects.toThrow(/reward\.source\.kind 'activity' .* only in Temporal workers/);
    const spec = tinySpec('runner-activity', 'online-iterative-dpo', { reward: { source: { kind: 'activity', taskQueue: 'q' } } });
    await expect(runCampaign(spec, { store })).rejects.toThrow(/reward\.source\.kind 'activity' .* not in the in-process runner/);
    expect(await store.list('runner-activity')).toEqual([]);
  });
});
