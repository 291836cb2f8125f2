import type { CampaignSummary } from '../schemas/results';
import { ITERATION_COLUMNS, cellText, iterationRows } from '../report/iteration-rows';
import { formatTable } from './output';

/** The per-iteration table the demo and `status` print; the best iteration is marked with '*'. */
export function formatIterationTable(summary: CampaignSummary): string {
  const rows = iterationRows(summary);
  return formatTable(
    [...ITERATION_COLUMNS.map((c) => c.header), 'best'],
    rows.map((r) => [...ITERATION_COLUMNS.map((c) => cellText(r, c)), r.best ? '*' : '']),
  );
}
