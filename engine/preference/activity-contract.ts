/**
 * prefloop's side of the `activity` reward contract (schemas/reward-activity.ts): building requests (inline rows or a
 * JSONL ref, in batches) and checking responses. A response that breaks the contract is the reward worker's bug, not a
 * transient fault: it fails with an InvalidInputError (non-retryable) naming the task queue and the first bad row,
 * so the user knows which worker to fix and what it returned.
 */
import { REWARD_BATCH_ROWS, REWARD_INLINE_BYTES, type RewardRequestRow } from '../../schemas/reward-activity';
import { InvalidInputError } from '../errors';

export interface RewardWorker { taskQueue: string; activity: string }

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'missing';
  return JSON.stringify(v);
}

/**
 * Rewards in the order of `ids`. A JSON worker cannot send NaN or Infinity as numbers: JavaScript sends null, Python
 * sends the bare token NaN, which prefloop's data converter reads as the string "NaN"; each is refused as not finite.
 */
export function checkRewardResponse(ids: string[], raw: unknown, worker: RewardWorker): Float64Array {
  const who = `reward activity '${worker.activity}' on task queue '${worker.taskQueue}'`;
  const fix = 'it must return {"rewards": [{"id": <request id>, "reward": <finite number>}, ...]} with one entry per request id';
  const list = (raw as { rewards?: unknown } | null)?.rewards;
  if (raw === null || typeof raw !== 'object' || !Array.isArray(list)) {
    throw new InvalidInputError(`${who} returned ${describe(raw).slice(0, 200)}; ${fix}`);
  }
  const position = new Map(ids.map((id, i) => [id, i]));
  const out = new Float64Array(ids.length);
  const seen = new Uint8Array(ids.length);
  list.forEach((entry: unknown, k: number) => {
    const row = `row ${k} of its answer`;
    if (entry === null || typeof entry !== 'object') throw new InvalidInputError(`${who}: ${row} is ${describe(entry)}; ${fix}`);
    const { id, reward } = entry as { id?: unknown; reward?: unknown };
    const i = typeof id === 'string' ? position.get(id) : undefined;
    if (i === undefined) throw new InvalidInputError(`${who}: ${row} has id ${describe(id)}, which is not in the request (an extra id); ${fix}`);
    if (seen[i]) throw new InvalidInputError(`${who}: ${row} repeats id ${describe(id)}; ${fix}`);
    if (typeof reward !== 'number' || !Number.isFinite(reward)) {
      throw new InvalidInputError(`${who}: ${row} (id ${describe(id)}) has reward ${describe(reward)}, not a finite number; ${fix}`);
    }
    seen[i] = 1;
    out[i] = reward;
  });
  const missing = seen.indexOf(0);
  if (missing >= 0) {
    const count = seen.reduce((n, s) => n + (s ? 0 : 1), 0);
    throw new InvalidInputError(`${who} returned no reward for id ${JSON.stringify(ids[missing])} (${count} of ${ids.length} ids missing); ${fix}`);
  }
  return out;
}

/** Request rows split into batches of at most `maxRows` (the response of each stays small). */
export function rewardBatches(rows: RewardRequestRow[], maxRows = REWARD_BATCH_ROWS): RewardRequestRow[][] {
  const out: RewardRequestRow[][] = [];
  for (let i = 0; i < rows.length; i += maxRows) out.push(rows.slice(i, i + maxRows));
  return out;
}

/** Whether a batch travels inline (its JSON fits the limit) or by ref to a JSONL in the store. */
export function fitsInline(rows: RewardRequestRow[], limit = REWARD_INLINE_BYTES): boolean {
  let bytes = 0;
  for (const r of rows) {
    bytes += Buffer.byteLength(JSON.stringify(r)) + 1;
    if (bytes > limit) return false;
  }
  return true;
}

/** Ids are unique; a duplicate would make the response ambiguous, so it is prefloop's bug and never sent. */
export function checkUniqueIds(rows: RewardRequestRow[]): string[] {
  const ids = rows.map((r) => r.id);
  if (new Set(ids).size !== ids.length) throw new Error('reward request: duplicate row ids');
  return ids;
}
