/** Samples grouped by prompt: the unit rank scores, filter pairs within, and every per-prompt random stream is keyed by. */
import type { Sample } from './types';

const SAMPLER_ORDER = { policy: 0, initial: 1 } as const;

/** Samples grouped by prompt, in a fixed order whatever order the shards arrived in. */
export function groupByPrompt<T extends Sample>(rows: T[]): T[][] {
  const sorted = [...rows].sort((a, b) => a.promptIndex - b.promptIndex || SAMPLER_ORDER[a.sampler] - SAMPLER_ORDER[b.sampler] || a.index - b.index);
  const groups: T[][] = [];
  for (const r of sorted) {
    const last = groups[groups.length - 1];
    if (last && last[0].promptIndex === r.promptIndex) last.push(r);
    else groups.push([r]);
  }
  return groups;
}
