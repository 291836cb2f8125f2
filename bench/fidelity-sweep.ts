/**
 * `npm run bench:fidelity -- --sweep`: every algorithm at growing label budgets (default 3x128 .. 16x512), several
 * seeds, on the enumerable bandit; J, the gap to J* and each seed's fraction of the way from J(pi0) to J*, against
 * total labels. Draws the two curves (report/charts.ts budgetSweepCharts) to SVG files.
 *
 * Equal labels: every algorithm runs ITERATIONS iterations of LABELS labels, as in the main bench (offline DPO
 * and RSO restart from pi0 on all pairs so far, so their last iteration is one pass at the whole budget). Not one
 * iteration of ITERATIONS x LABELS: an iteration pairs each prompt of the training pool (512) at most once, so a
 * single iteration could not spend more than 512 labels.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALGORITHMS, type Algorithm, type CampaignSpecInput } from '../schemas/campaign';
import { LocalArtifactStore } from '../store/local';
import { runCampaign } from '../engine/runner';
import { disposeRuntimes } from '../engine/steps';
import { budgetSweepCharts, type BudgetPoint } from '../report/charts';
import { renderSvg } from '../report/render-svg';
import { banditSpec, type BanditBenchOptions } from './fidelity-spec';

export interface SweepOptions {
  budgets: Array<{ iterations: number; labels: number }>;
  seeds: number[];
  algorithms: Algorithm[];
  storeDir: string;
  chartDir: string;
  /** Only tabulate campaigns already finished in the store (redraw a sweep that several processes ran). */
  cachedOnly?: boolean;
  bench: Omit<BanditBenchOptions, 'iterations' | 'labels'>;
  log: (line: string) => void;
}

export function parseBudgets(text: string): SweepOptions['budgets'] {
  return text.split(',').map((b) => {
    const m = /^(\d+)x(\d+)$/.exec(b.trim());
    if (!m) throw new Error(`--budgets: '${b}' is not ITERATIONSxLABELS (example: 3x128,8x256,16x512)`);
    return { iterations: Number(m[1]), labels: Number(m[2]) };
  });
}

/** The spec an algorithm runs at a budget (see the header for why offline DPO, RSO and multi-step differ). */
function sweepSpec(algorithm: Algorithm, seed: number, budget: { iterations: number; labels: number }, o: SweepOptions['bench']): CampaignSpecInput {
  const spec = banditSpec(algorithm, seed, { ...o, ...budget });
  return { ...spec, name: `sweep-${spec.name}-${budget.iterations}x${budget.labels}` };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f = (x: number, d = 3) => x.toFixed(d);

export async function runSweep(o: SweepOptions): Promise<{ lines: string[]; json: unknown }> {
  const store = new LocalArtifactStore(o.storeDir);
  const rows: Array<{ algorithm: Algorithm; seed: number; iterations: number; labelsPerIteration: number; budget: number; labels: number; J: number; gap: number; J0: number; Jstar: number; fraction: number; reward: number; kl: number; perIteration: number[] }> = [];
  for (const budget of o.budgets) {
    for (const seed of o.seeds) {
      for (const algorithm of o.algorithms) {
        const spec = sweepSpec(algorithm, seed, budget, o.bench);
        const id = `${spec.name}-${createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 10)}`;
        const t0 = Date.now();
        if (o.cachedOnly && !(await store.find({ campaign: id, iteration: budget.iterations, step: 'update', name: 'output.json' }))) {
          o.log(`sweep ${budget.iterations}x${budget.labels} ${algorithm} seed ${seed}: not in the store, left out`);
          continue;
        }
        const s = await runCampaign(spec, { store, campaign: id });
        const e = s.iterations.at(-1)!.eval;
        const J0 = s.initial.J, Jstar = s.initial.Jstar!;
        rows.push({
          algorithm, seed, iterations: budget.iterations, labelsPerIteration: budget.labels, budget: budget.iterations * budget.labels, labels: s.labels,
          J: e.J, gap: e.gap!, J0, Jstar, fraction: (e.J - J0) / (Jstar - J0), reward: e.reward, kl: e.kl, perIteration: s.iterations.map((r) => r.eval.J),
        });
        o.log(`sweep ${budget.iterations}x${budget.labels} ${algorithm} seed ${seed}: J ${f(e.J)} (${f((100 * (e.J - J0)) / (Jstar - J0), 1)}% of the way) labels ${s.labels} in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
      }
    }
  }
  await disposeRuntimes();

  const lines: string[] = [];
  // J* and J(pi0) depend on the seed only (the task and pi0), not on the algorithm or budget.
  const perSeed = [...new Map(rows.map((r) => [r.seed, r])).values()];
  const Jstar = mean(perSeed.map((r) => r.Jstar));
  const J0 = mean(perSeed.map((r) => r.J0));
  lines.push(`budget sweep (bandit, exact J at eta ${o.bench.eta ?? 0.1}, seeds ${o.seeds.join(',')}): J(pi*) ${f(Jstar)}, J(pi0) ${f(J0)} (seed means); frac = each seed's (J - J(pi0)) / (J* - J(pi0)), mean over seeds`);
  lines.push(`${'budget'.padEnd(10)}${'labels'.padStart(7)}  ${'algorithm'.padEnd(22)}${'J'.padStart(8)}${'gap'.padStart(8)}${'frac'.padStart(8)}${'KL'.padStart(8)}${'spent'.padStart(8)}   J per seed`);
  const points: BudgetPoint[] = [];
  for (const b of o.budgets) {
    const total = b.iterations * b.labels;
    for (const algorithm of o.algorithms) {
      const rs = rows.filter((r) => r.algorithm === algorithm && r.budget === total && r.iterations === b.iterations);
      if (!rs.length) continue;
      points.push({ algorithm, labels: total, J: mean(rs.map((r) => r.J)), gap: mean(rs.map((r) => r.gap)) });
      lines.push(`${`${b.iterations}x${b.labels}`.padEnd(10)}${String(total).padStart(7)}  ${algorithm.padEnd(22)}${f(mean(rs.map((r) => r.J))).padStart(8)}${f(mean(rs.map((r) => r.gap))).padStart(8)}${f(mean(rs.map((r) => r.fraction))).padStart(8)}${f(mean(rs.map((r) => r.kl))).padStart(8)}${mean(rs.map((r) => r.labels)).toFixed(0).padStart(8)}   ${rs.map((r) => f(r.J)).join(' ')}`);
    }
  }
  // The issue's targets, checked on what ran.
  const online = 'online-iterative-dpo';
  const verdicts: Record<string, unknown> = {};
  if (o.algorithms.includes(online)) {
    const onlineMeans = o.budgets.map((b) => mean(rows.filter((r) => r.algorithm === online && r.budget === b.iterations * b.labels && r.iterations === b.iterations).map((r) => r.J)));
    const seedsAt = o.budgets.map((b) => rows.filter((r) => r.algorithm === online && r.budget === b.iterations * b.labels && r.iterations === b.iterations).length);
    const rises = onlineMeans.every((x, i) => i === 0 || x > onlineMeans[i - 1]);
    lines.push('', `online-iterative-dpo mean J by budget: ${onlineMeans.map((x, i) => `${f(x)} (${seedsAt[i]} seeds)`).join(' -> ')} (${rises ? 'rises at every step' : 'does NOT rise at every step'})`);
    const beats: string[] = [];
    for (const b of o.budgets) {
      const at = (a: Algorithm, seed: number) => rows.find((r) => r.algorithm === a && r.seed === seed && r.budget === b.iterations * b.labels && r.iterations === b.iterations);
      const counts = (['offline-dpo', 'rso'] as Algorithm[]).filter((a) => o.algorithms.includes(a)).map((a) => {
        const both = o.seeds.filter((seed) => at(online, seed) && at(a, seed));
        const won = both.filter((seed) => at(online, seed)!.J > at(a, seed)!.J).length;
        return `${a} ${won}/${both.length}`;
      });
      beats.push(`${b.iterations}x${b.labels}: ${counts.join(', ')}`);
    }
    lines.push(`online beats (seeds): ${beats.join('; ')}`);
    const last = o.budgets.at(-1)!;
    const fr = mean(rows.filter((r) => r.algorithm === online && r.budget === last.iterations * last.labels && r.iterations === last.iterations).map((r) => r.fraction));
    lines.push(`online at ${last.iterations}x${last.labels}: ${f(100 * fr, 1)}% of the way from J(pi0) to J* (mean of each seed's fraction; target >= 60%)`);
    verdicts.onlineMeanJ = onlineMeans; verdicts.onlineRises = rises; verdicts.onlineFractionAtLargest = fr;
  }
  fs.mkdirSync(o.chartDir, { recursive: true });
  const charts = budgetSweepCharts(points, Jstar, J0);
  const files: string[] = [];
  for (const c of charts) {
    const file = path.join(o.chartDir, `fidelity-${c.id}.svg`);
    fs.writeFileSync(file, await renderSvg(c.spec));
    files.push(file);
  }
  lines.push(`charts: ${files.join(', ')}`);
  return {
    lines,
    json: {
      Jstar, J0, budgets: o.budgets, seeds: o.seeds, charts: files, ...verdicts,
      results: rows.map(({ perIteration: _, ...r }) => r), curve: points,
    },
  };
}

export const SWEEP_DEFAULT_BUDGETS = '3x128,8x256,16x512';
export const SWEEP_ALGORITHMS = [...ALGORITHMS];
