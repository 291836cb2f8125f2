import type { CampaignSummary, EvalMetrics, TrainLog } from '../schemas/results';

/** The per-iteration table the demo prints and the report shows; iteration 0 is pi0. */
export interface IterationRow {
  iteration: number;
  reward: number;
  /** Standard errors of sampled estimates (absent or 0 when exact). */
  rewardStderr: number | null;
  kl: number;
  klStderr: number | null;
  J: number;
  gap: number | null;
  /** Win rate against pi0 (judged by the gold reward, or by the reward source when the task has none). */
  winRate: number;
  /** Mean response length in tokens, and in characters where sampled. */
  length: number;
  chars: number | null;
  accuracy: number | null;
  margin: number | null;
  pairs: number | null;
  seconds: number | null;
  best: boolean;
}

function evalCells(m: EvalMetrics) {
  return {
    reward: m.reward, rewardStderr: m.rewardStderr || null, kl: m.kl, klStderr: m.klStderr || null, J: m.J, gap: m.gap ?? null,
    winRate: m.winRateVsInitial, length: m.responseLength, chars: m.responseChars ?? null,
  };
}

/** An evaluated iteration as a finished summary or a (possibly running) campaign's audit knows it. */
export interface EvaluatedIteration { iteration: number; eval: EvalMetrics; train?: TrainLog; pairs?: number; seconds?: number }

/** Rows of pi0 (when evaluated) and each evaluated iteration; `best` is the iteration to mark, if any. */
export function evaluationRows(initial: EvalMetrics | undefined, iterations: EvaluatedIteration[], best: number | undefined): IterationRow[] {
  const rows: IterationRow[] = initial ? [{
    iteration: 0,
    ...evalCells(initial),
    accuracy: null,
    margin: null,
    pairs: null,
    seconds: null,
    best: false,
  }] : [];
  for (const r of iterations) {
    rows.push({
      iteration: r.iteration,
      ...evalCells(r.eval),
      accuracy: r.train?.['rewards/accuracies'] ?? null,
      margin: r.train?.['rewards/margins'] ?? null,
      pairs: r.pairs ?? null,
      seconds: r.seconds ?? null,
      best: r.iteration === best,
    });
  }
  return rows;
}

export function iterationRows(summary: CampaignSummary): IterationRow[] {
  return evaluationRows(summary.initial, summary.iterations, summary.bestIteration);
}

/** A sampled estimate with its standard error ("0.1234±0.0056"), or the value alone when exact. */
const withStderr = (v: number, se: number | null) => (se ? `${v.toFixed(4)}±${se.toFixed(4)}` : v.toFixed(4));

export const ITERATION_COLUMNS: Array<{ key: keyof IterationRow; header: string; format: (v: number, row: IterationRow) => string }> = [
  { key: 'iteration', header: 'iter', format: (v) => String(v) },
  { key: 'reward', header: 'reward', format: (v, r) => withStderr(v, r.rewardStderr) },
  { key: 'kl', header: 'KL', format: (v, r) => withStderr(v, r.klStderr) },
  { key: 'J', header: 'J', format: (v) => v.toFixed(4) },
  { key: 'gap', header: 'gap to J*', format: (v) => v.toFixed(4) },
  { key: 'accuracy', header: 'rewards/accuracies', format: (v) => v.toFixed(3) },
  { key: 'margin', header: 'rewards/margins', format: (v) => v.toFixed(4) },
  { key: 'winRate', header: 'win rate', format: (v) => v.toFixed(3) },
  { key: 'length', header: 'length', format: (v) => v.toFixed(2) },
  { key: 'chars', header: 'chars', format: (v) => v.toFixed(1) },
  { key: 'pairs', header: 'pairs', format: (v) => String(v) },
  { key: 'seconds', header: 'duration', format: (v) => `${v.toFixed(1)}s` },
];

/** Cell text for one column of one row; '-' where a value does not exist (pi0 has no training). */
export function cellText(row: IterationRow, column: (typeof ITERATION_COLUMNS)[number]): string {
  const v = row[column.key];
  if (v === null || v === undefined || typeof v === 'boolean') return '-';
  return column.format(v, row);
}
