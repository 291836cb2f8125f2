import type { ArtifactStore } from '../store/types';
import type { AuditRow } from '../report';

/** Steps in data-flow order (DESIGN.md), unknown ones last. */
const STEP_ORDER = ['setup', 'sample', 'rank', 'filter', 'update', 'evaluate'];
const stepRank = (step: string) => {
  const i = STEP_ORDER.indexOf(step.replace(/\[.*$/, ''));
  return i < 0 ? STEP_ORDER.length : i;
};

/**
 * An audit from the store's manifest alone: every (iteration, step) with the artifacts it wrote. Used for
 * campaigns run in-process (no Temporal history, so no attempts or durations).
 */
export async function auditFromStore(store: ArtifactStore, campaign: string): Promise<AuditRow[]> {
  const rows = new Map<string, AuditRow>();
  for (const { key, ref } of await store.list(campaign)) {
    const id = `${key.iteration}/${key.step}`;
    let row = rows.get(id);
    if (!row) {
      row = { iteration: key.iteration, step: key.step, inputs: {}, outputs: {} };
      rows.set(id, row);
    }
    // The manifest keeps every write; the last one of a name is the finished artifact.
    row.outputs[key.name] = ref;
  }
  return [...rows.values()].sort((a, b) => a.iteration - b.iteration || stepRank(a.step) - stepRank(b.step) || a.step.localeCompare(b.step));
}
