/**
 * Step inputs as earlier versions scheduled them (with `stage`, and rank's `rewardModel`) still validate, so activities
 * that recorded histories scheduled keep running; the fields are dropped, as the steps derive them.
 */
import { STEP_INPUT_SCHEMAS } from '../../activities';

const ref = { uri: 'store://c/iter-1/filter/pairs.jsonl', sha256: 'a'.repeat(64), bytes: 10, mediaType: 'application/x-ndjson' };

test('earlier versions\' step inputs are accepted and their stage and rewardModel dropped', () => {
  expect(STEP_INPUT_SCHEMAS.sampleShard.parse({ policy: ref, prompts: ref, shard: 1, shards: 2, stage: 0, sampler: 1 })).toEqual({ policy: ref, prompts: ref, shard: 1, shards: 2, sampler: 1 });
  expect(STEP_INPUT_SCHEMAS.rank.parse({ samples: [ref], rewardModel: ref, stage: 1 })).toEqual({ samples: [ref] });
  expect(STEP_INPUT_SCHEMAS.filter.parse({ scored: ref, stage: 1 })).toEqual({ scored: ref });
  expect(STEP_INPUT_SCHEMAS.update.parse({ policy: ref, reference: ref, pairs: [ref], stage: 1 })).toEqual({ policy: ref, reference: ref, pairs: [ref] });
});

test('today\'s inputs validate as they are, and a bad legacy field or an unknown one is still refused', () => {
  expect(STEP_INPUT_SCHEMAS.filter.parse({ scored: ref })).toEqual({ scored: ref });
  expect(STEP_INPUT_SCHEMAS.filter.safeParse({ scored: ref, stage: -1 }).success).toBe(false);
  expect(STEP_INPUT_SCHEMAS.rank.safeParse({ samples: [ref], reward: ref }).success).toBe(false);
  expect(STEP_INPUT_SCHEMAS.sampleShard.safeParse({ policy: ref, prompts: ref, shard: 2, shards: 2 }).success).toBe(false);
});
