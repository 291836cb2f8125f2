/**
 * A reward worker for prefloop's `activity` reward source, in TypeScript (worker.py is the same in Python).
 * It serves the activity `reward` on a task queue of your choice; a campaign with
 *   reward: { source: { kind: activity, taskQueue: my-judge } }
 * sends it batches of {id, prompt, response} rows and gets {"rewards": [{id, reward}]} back
 * (the contract: schemas/reward-activity.ts). Replace `score` with your reward model, judge or verifier.
 *
 *   node -r @swc-node/register examples/reward-worker/worker.ts --queue my-judge [--address localhost:7233]
 *
 * The rule here is a toy verifier: responses close to 24 characters score best.
 */
import { readFileSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';

interface Row { id: string; prompt: unknown; response: string }
interface RewardRequest { rows?: Row[]; path?: string; count: number }

const TARGET_CHARS = 24;

export function score(row: Row): number {
  return -Math.abs([...row.response].length - TARGET_CHARS) / TARGET_CHARS;
}

/** Rows come inline, or (big batches) as a JSONL file in prefloop's store: `path` on a local store. */
function rowsOf(request: RewardRequest): Row[] {
  if (request.rows) return request.rows;
  if (!request.path) throw new Error('the request has neither rows nor a local path; mount the store or read request.ref from it');
  return readFileSync(request.path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Row);
}

/** Deliberately wrong answers, for prefloop's own tests of how it refuses them (REWARD_WORKER_FAULT). */
function faulty(rewards: { id: string; reward: unknown }[], fault: string | undefined): { id: string; reward: unknown }[] {
  switch (fault) {
    case 'nan': return rewards.map((r, i) => (i === 1 ? { ...r, reward: NaN } : r));
    case 'string': return rewards.map((r, i) => (i === 0 ? { ...r, reward: String(r.reward) } : r));
    case 'missing': return rewards.slice(1);
    case 'extra': return [...rewards, { id: 'not-asked', reward: 0 }];
    default: return rewards;
  }
}

export async function reward(request: RewardRequest): Promise<{ rewards: { id: string; reward: unknown }[] }> {
  const rewards = rowsOf(request).map((row) => ({ id: row.id, reward: score(row) }));
  return { rewards: faulty(rewards, process.env.REWARD_WORKER_FAULT) };
}

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: arg('address', 'localhost:7233') });
  const worker = await Worker.create({ connection, namespace: arg('namespace', 'default'), taskQueue: arg('queue'), activities: { reward } });
  console.log(`reward worker serving activity 'reward' on task queue '${arg('queue')}'`);
  process.once('SIGTERM', () => worker.shutdown());
  await worker.run();
  await connection.close();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
