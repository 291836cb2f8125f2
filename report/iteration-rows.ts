import type { CampaignSummary } from '../schemas/results';

/** The per-iteration table the demo prints and the report shows; iteration 0 is pi0. */
export interface IterationRow {
  iteration: number;
  reward: number;
  kl: number;
  J: number;
  gap: number | null;
  accuracy: number | null;
  margin: number | null;
  pairs: number | null;
  seconds: number | null;
  best: boolean;
}

export function iterationRows(summary: CampaignSummary): IterationRow[] {
  const rows: IterationRow[] = [{
    iteration: 0,
    reward: summary.initial.reward,
    kl: summary.initial.kl,
    J: summary.initial.J,
    gap: summary.initial.gap ?? null,
    accuracy: null,
    margin: null,
    pairs: null,
    seconds: null,
    best: false,
  }];
  for (const r of summary.iterations) {
    rows.push({
      iteration: r.iteration,
      reward: r.eval.reward,
      kl: r.eval.kl,
      J: r.eval.J,
      gap: r.eval.gap ?? null,
      accuracy: r.train['rewards/accuracies'] ?? null,
      margin: r.train['rewards/margins'] ?? null,
      pairs: r.pairs,
      seconds: r.seconds,
      best: r.iteration === summary.bestIteration,
    });
  }
  return rows;
}

export const ITERATION_COLUMNS: Array<{ key: keyof IterationRow; header: string; format: (v: number) => string }> = [
  { key: 'iteration', header: 'iter', format: (v) => String(v) },
  { key: 'reward', header: 'reward', format: (v) => v.toFixed(4) },
  { key: 'kl', header: 'KL', format: (v) => v.toFixed(4) },
  { key: 'J', header: 'J', format: (v) => v.toFixed(4) },
  { key: 'gap', header: 'gap to J*', format: (v) => v.toFixed(4) },
  { key: 'accuracy', header: 'rewards/accuracies', format: (v) => v.toFixed(3) },
  { key: 'margin', header: 'rewards/margins', format: (v) => v.toFixed(4) },
  { key: 'pairs', header: 'pairs', format: (v) => String(v) },
  { key: 'seconds', header: 'duration', format: (v) => `${v.toFixed(1)}s` },
];

/** Cell text for one column of one row; '-' where a value does not exist (pi0 has no training). */
export function cellText(row: IterationRow, column: (typeof ITERATION_COLUMNS)[number]): string {
  const v = row[column.key];
  if (v === null || v === undefined || typeof v === 'boolean') return '-';
  return column.format(v);
}
