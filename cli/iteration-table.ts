import type { CampaignSummary } from '../schemas/results';
import { ITERATION_COLUMNS, cellText, iterationRows, type IterationRow } from '../report/iteration-rows';
import { formatTable } from './output';

/** The per-iteration table the demo, `status` and `history` print; the best iteration is marked with '*'. */
export function formatIterationTable(summary: CampaignSummary): string {
  return formatIterationRows(iterationRows(summary));
}

export function formatIterationRows(rows: IterationRow[]): string {
  return formatTable(
    [...ITERATION_COLUMNS.map((c) => c.header), 'best'],
    rows.map((r) => [...ITERATION_COLUMNS.map((c) => cellText(r, c)), r.best ? '*' : '']),
  );
}
