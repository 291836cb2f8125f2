import { RewardRequestSchema, RewardResponseSchema } from '../../../schemas/reward-activity';
import { checkRewardResponse, fitsInline, rewardBatches } from '../../../engine/preference/activity-contract';

const worker = { taskQueue: 'my-judge', activity: 'reward' };
const ids = ['0:policy:0', '0:policy:1', '1:policy:0'];
const check = (raw: unknown) => () => checkRewardResponse(ids, raw, worker);

describe('activity reward contract', () => {
  it('returns rewards in request order, whatever order the worker answered in', () => {
    const r = checkRewardResponse(ids, { rewards: [{ id: '1:policy:0', reward: 3 }, { id: '0:policy:0', reward: -1.5 }, { id: '0:policy:1', reward: 0 }] }, worker);
    expect(Array.from(r)).toEqual([-1.5, 0, 3]);
  });

  it('refuses missing, extra and repeated ids, naming the task queue and the first bad row', () => {
    const two = [{ id: '0:policy:0', reward: 1 }, { id: '0:policy:1', reward: 2 }];
    expect(check({ rewards: two })).toThrow(/^reward activity 'reward' on task queue 'my-judge' returned no reward for id "1:policy:0" \(1 of 3 ids missing\)/);
    expect(check({ rewards: [...two, { id: '9', reward: 1 }] })).toThrow(/task queue 'my-judge': row 2 of its answer has id "9", which is not in the request \(an extra id\)/);
    expect(check({ rewards: [two[0], two[0]] })).toThrow(/row 1 of its answer repeats id "0:policy:0"/);
  });

  it('refuses NaN (null from JavaScript, "NaN" from Python), strings and a malformed answer', () => {
    const with2 = (reward: unknown) => ({ rewards: [{ id: '0:policy:0', reward: 1 }, { id: '0:policy:1', reward }, { id: '1:policy:0', reward: 0 }] });
    expect(check(with2(null))).toThrow(/row 1 of its answer \(id "0:policy:1"\) has reward null, not a finite number/);
    expect(check(with2('NaN'))).toThrow(/has reward "NaN", not a finite number/);
    expect(check(with2(NaN))).toThrow(/has reward NaN, not a finite number/);
    expect(check(with2('0.5'))).toThrow(/has reward "0\.5", not a finite number/);
    expect(check([1, 2, 3])).toThrow(/^reward activity 'reward' on task queue 'my-judge' returned \[1,2,3\]; it must return \{"rewards"/);
    expect(check({ rewards: [7] })).toThrow(/row 0 of its answer is 7/);
    for (const bad of [null, { rewards: [7] }, { rewards: [{ id: 'x', reward: NaN }] }]) expect(() => checkRewardResponse(ids, bad, worker)).toThrow(expect.objectContaining({ name: 'InvalidInputError' }));
  });

  it('sends small batches inline and large ones by ref, in batches of bounded rows', () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: String(i), prompt: 'p', response: 'x'.repeat(100) }));
    expect(fitsInline(rows, 2000)).toBe(true);
    expect(fitsInline(rows, 1000)).toBe(false);
    expect(rewardBatches(rows, 4).map((b) => b.map((r) => r.id))).toEqual([['0', '1', '2', '3'], ['4', '5', '6', '7'], ['8', '9']]);
  });

  it('schemas: a request has exactly one of rows and ref; a response is {rewards: [{id, reward}]}', () => {
    const base = { campaign: 'c', iteration: 1, step: 'rank', count: 1 };
    expect(RewardRequestSchema.safeParse({ ...base, rows: [{ id: 'a', prompt: [{ role: 'user', content: 'q' }], response: 'r' }] }).success).toBe(true);
    expect(RewardRequestSchema.safeParse(base).success).toBe(false);
    const ref = { uri: 'store://c/iter-1/rank/reward-0.jsonl', sha256: 'a'.repeat(64), bytes: 3, mediaType: 'application/x-ndjson' };
    expect(RewardRequestSchema.safeParse({ ...base, ref, rows: [] }).success).toBe(false);
    expect(RewardRequestSchema.safeParse({ ...base, ref }).success).toBe(true);
    expect(RewardResponseSchema.safeParse({ rewards: [{ id: 'a', reward: 1 }] }).success).toBe(true);
    expect(RewardResponseSchema.safeParse({ rewards: [{ id: 'a', reward: '1' }] }).success).toBe(false);
  });
});
