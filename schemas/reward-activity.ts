/**
 * The contract of an `activity` reward source: prefloop asks a Temporal activity, served by any worker in any
 * language on the task queue the spec names, to score (prompt, response) rows; the worker answers with one reward per
 * row. This file is the whole contract (README: "Rewards from your own worker").
 *
 * Request (the activity's single argument): either the rows inline (`rows`), when they fit the payload limit, or a
 * ref to a JSONL file of the same rows in the artifact store (`ref`; on the local store the file is
 * `<storeRoot>/<path after store://>`, and `path` gives it whole when the store is local). Each row is
 * `{id, prompt, response}`: `prompt` as the prompts file gives it (a string, or a list of {role, content} messages),
 * `response` the policy's text. Response: `{"rewards": [{"id": ..., "reward": <finite number>}, ...]}`, one entry per
 * request id, in any order. Anything else (a missing or extra id, a duplicate, NaN, a string) fails the campaign with
 * a non-retryable error naming the task queue and the first bad row.
 */
import { z } from 'zod';
import { ArtifactRefSchema } from './artifacts';

export const MessageSchema = z.strictObject({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.string() });

export const RewardRequestRowSchema = z.strictObject({
  id: z.string().min(1).describe('Unique within the request; the response echoes it.'),
  prompt: z.union([z.string(), z.array(MessageSchema)]).describe('The prompt as written in the prompts file (text or messages), or the built-in task\'s rendered prompt.'),
  response: z.string().describe('The policy\'s response, decoded to text.'),
});
export type RewardRequestRow = z.infer<typeof RewardRequestRowSchema>;

export const RewardRequestSchema = z.strictObject({
  campaign: z.string().min(1),
  iteration: z.number().int().nonnegative(),
  /** The step asking: 'rank' scores samples for pairs, 'evaluate' scores held-out responses. */
  step: z.string().min(1),
  /** Rows in this request (also when they come by ref). */
  count: z.number().int().nonnegative(),
  rows: z.array(RewardRequestRowSchema).optional(),
  ref: ArtifactRefSchema.optional(),
  /** Absolute path of the rows' JSONL when the store is a local directory (what `ref.uri` names under its root). */
  path: z.string().optional(),
}).refine((r) => (r.rows === undefined) !== (r.ref === undefined), { message: 'exactly one of rows (inline) and ref (JSONL in the store) is given' });
export type RewardRequest = z.infer<typeof RewardRequestSchema>;

export const RewardScoreSchema = z.strictObject({ id: z.string(), reward: z.number() });
export const RewardResponseSchema = z.object({ rewards: z.array(RewardScoreSchema) });
export type RewardResponse = z.infer<typeof RewardResponseSchema>;

/** Default activity type the worker registers; the spec may name another (reward.source.activity). */
export const DEFAULT_REWARD_ACTIVITY = 'reward';

/**
 * Inline rows stay well under prefloop's payload guard (512 KiB) and Temporal's 2 MiB limit; larger requests go by ref.
 * Rows are also sent in batches of at most this many, so that the response (about 40 bytes a row) stays small too.
 */
export const REWARD_INLINE_BYTES = 256 * 1024;
export const REWARD_BATCH_ROWS = 4096;
