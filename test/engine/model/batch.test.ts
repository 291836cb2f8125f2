/**
 * Padding layouts: right-padded prompt + response rows for scoring / training (targets shifted by one, response
 * mask on response targets only) and left-padded prompts for generation (positions count real tokens only).
 */
import { packPrompts, packRewardSequences, packSequences } from '../../../engine/model/batch';
import { initPolicy } from '../../../engine/model/gpt';
import { createPolicyRuntime } from '../../../engine/model/runtime';
import { TINY } from './reference';

const ints = (t: { data: unknown }) => Array.from(t.data as BigInt64Array, Number);

test('packSequences right-pads and marks response targets', () => {
  const f = packSequences([[1, 2], [3]], [[4, 5], [6]]);
  expect(f.input_ids.dims).toEqual([2, 3]);
  expect(ints(f.input_ids)).toEqual([1, 2, 4, 3, 6, 0]);
  expect(ints(f.attention_mask)).toEqual([1, 1, 1, 1, 1, 0]);
  expect(ints(f.position_ids)).toEqual([0, 1, 2, 0, 1, 2]);
  expect(ints(f.target_ids)).toEqual([2, 4, 5, 6, 0, 0]);
  expect(Array.from(f.response_mask.data as Float32Array)).toEqual([0, 1, 1, 1, 0, 0]);
});

test('packRewardSequences marks each row\'s last real token', () => {
  const f = packRewardSequences([[1, 2], [3]], [[4], [5, 6, 7]]);
  expect(f.input_ids.dims).toEqual([2, 4]);
  expect(Array.from(f.last_token_mask.data as Float32Array)).toEqual([0, 0, 1, 0, 0, 0, 0, 1]);
});

test('packPrompts left-pads with positions that ignore the padding', () => {
  const b = packPrompts([[7, 8, 9], [5]]);
  expect(b.width).toBe(3);
  expect(Array.from(b.ids, Number)).toEqual([7, 8, 9, 0, 0, 5]);
  expect(Array.from(b.attention, Number)).toEqual([1, 1, 1, 0, 0, 1]);
  expect(Array.from(b.positions, Number)).toEqual([0, 1, 2, 0, 0, 0]);
  expect(b.nextPosition).toEqual([3, 1]);
});

test('an empty response scores 0 and does not disturb its batch-mates', async () => {
  const policy = await createPolicyRuntime(TINY);
  const w = initPolicy(TINY, 0);
  const together = await policy.sequenceLogprobs(w, [[1, 2], [1]], [[], [3, 4]]);
  const alone = await policy.sequenceLogprobs(w, [[1]], [[3, 4]]);
  expect(together[0] === 0).toBe(true); // -0 from a sum of masked negatives is fine
  expect(together[1]).toBeLessThan(0);
  expect(Math.abs(together[1] - alone[0])).toBeLessThan(1e-5);
  await policy.dispose();
});
