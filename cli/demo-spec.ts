import { createHash } from 'node:crypto';
import type { CampaignSpec } from '../schemas/campaign';
import { specFromOverrides } from './spec-input';

/** The built-in campaign: online iterative DPO on the enumerable bandit, every other field at its default. */
export const DEMO_BASE = { name: 'demo', algorithm: 'online-iterative-dpo', policy: { source: 'builtin' }, task: { name: 'bandit' } } as const;
export const DEMO_ITERATIONS = 3;

export function demoSpec(iterations: number, sets: readonly string[]): CampaignSpec {
  // Fresh copies of the nested objects: --set writes into them.
  return specFromOverrides({ ...DEMO_BASE, policy: { ...DEMO_BASE.policy }, task: { ...DEMO_BASE.task }, iterations }, sets);
}

/** Same spec, same id: a rerun finds its campaign; a changed spec (e.g. --iterations) is a different campaign. */
export function demoCampaignId(spec: CampaignSpec, generation: number): string {
  const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 10);
  return generation === 0 ? `demo-${hash}` : `demo-${hash}-${generation}`;
}
