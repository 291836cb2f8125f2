/** The step functions activities and the in-process runner call (contract: ./types.ts). */
import type { Steps } from './types';
import { evaluate } from './evaluate';
import { filter } from './filter';
import { rank } from './rank';
import { sampleShard } from './sample-shard';
import { setup } from './setup';
import { update } from './update';

export { evaluate, filter, rank, sampleShard, setup, update };
export { disposeRuntimes, idleRuntimeCount } from '../runtime/policy-runtimes';
export { COMPUTE_PLACEMENTS, type ComputePlacement } from '../runtime/compute-placement';
export { iterationPlan, setupPlan } from '../plans/plan';
export { checkedIterationPlan } from './feasibility';
export type * from './types';

export const steps: Steps = { setup, sampleShard, rank, filter, update, evaluate };
