import type { TopLevelSpec } from 'vega-lite';
import type { IterationPoint, TrainPoint } from './chart-data';

/** Chart specs (vega-lite). Colour is always the campaign so several campaigns compare on one page. */

const WIDTH = 260;
const HEIGHT = 170;
const campaignColor = { field: 'campaign', type: 'nominal', title: 'campaign' } as const;

export interface NamedChart {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

function perIteration(points: IterationPoint[], field: keyof IterationPoint, title: string, yTitle: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: points.filter((p) => p[field] !== null) as unknown as Record<string, unknown>[] },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'iteration', type: 'quantitative', title: 'iteration', axis: { tickMinStep: 1, format: 'd' } },
      y: { field, type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: campaignColor,
      tooltip: [{ field: 'campaign' }, { field: 'iteration' }, { field, type: 'quantitative', format: '.4f' }],
    },
  };
}

export function iterationCharts(points: IterationPoint[]): NamedChart[] {
  const charts: NamedChart[] = [
    { id: 'reward', title: 'Gold reward', spec: perIteration(points, 'reward', 'Gold reward per iteration', 'E[r*]') },
    { id: 'kl', title: 'KL to pi0', spec: perIteration(points, 'kl', 'KL(pi || pi0) per iteration', 'KL') },
    { id: 'J', title: 'J', spec: perIteration(points, 'J', 'J = E[r*] - eta KL per iteration', 'J') },
  ];
  // The gap exists only on enumerable tasks, where J(pi*) is exact.
  if (points.some((p) => p.gap !== null)) {
    charts.push({ id: 'gap', title: 'Gap to J*', spec: perIteration(points, 'gap', 'Gap to J(pi*) per iteration', 'J* - J') });
  }
  return charts;
}

export function frontierChart(points: IterationPoint[]): NamedChart {
  return {
    id: 'frontier',
    title: 'Reward-KL frontier',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'Reward vs KL (one point per iteration)',
      width: WIDTH * 2,
      height: HEIGHT * 1.4,
      data: { values: points as unknown as Record<string, unknown>[] },
      layer: [
        {
          mark: { type: 'line', opacity: 0.5 },
          encoding: {
            x: { field: 'kl', type: 'quantitative', title: 'KL(pi || pi0)' },
            y: { field: 'reward', type: 'quantitative', title: 'gold reward', scale: { zero: false } },
            order: { field: 'iteration', type: 'quantitative' },
            color: campaignColor,
          },
        },
        {
          mark: { type: 'point', filled: true, size: 60 },
          encoding: {
            x: { field: 'kl', type: 'quantitative' },
            y: { field: 'reward', type: 'quantitative' },
            color: campaignColor,
            tooltip: [{ field: 'campaign' }, { field: 'iteration' }, { field: 'kl', format: '.4f' }, { field: 'reward', format: '.4f' }],
          },
        },
        {
          mark: { type: 'text', dx: 8, dy: -8, fontSize: 10 },
          encoding: {
            x: { field: 'kl', type: 'quantitative' },
            y: { field: 'reward', type: 'quantitative' },
            text: { field: 'iteration', type: 'quantitative' },
          },
        },
      ],
    },
  };
}

function perStep(points: TrainPoint[], field: 'loss' | 'margin', title: string, yTitle: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: WIDTH * 2,
    height: HEIGHT,
    data: { values: points.filter((p) => p[field] !== null) as unknown as Record<string, unknown>[] },
    mark: { type: 'line', strokeWidth: 1.2 },
    encoding: {
      x: { field: 'globalStep', type: 'quantitative', title: 'optimizer step (all iterations)' },
      y: { field, type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: campaignColor,
      detail: { field: 'iteration', type: 'nominal' },
      tooltip: [{ field: 'campaign' }, { field: 'iteration' }, { field: 'globalStep' }, { field, format: '.4f' }],
    },
  };
}

export function trainingCharts(points: TrainPoint[]): NamedChart[] {
  const charts: NamedChart[] = [];
  if (points.some((p) => p.loss !== null)) {
    charts.push({ id: 'loss', title: 'Training loss', spec: perStep(points, 'loss', 'Training loss per step', 'loss') });
  }
  if (points.some((p) => p.margin !== null)) {
    charts.push({ id: 'margins', title: 'rewards/margins', spec: perStep(points, 'margin', 'rewards/margins per step', 'rewards/margins') });
  }
  return charts;
}

/** One point of a label-budget sweep: an algorithm's seed-mean J at a total label budget. */
export interface BudgetPoint {
  algorithm: string;
  labels: number;
  J: number;
  /** Seed-mean J(pi*) - J. */
  gap: number;
}

/**
 * J and the gap to J* against the total label budget (log axis), one line per algorithm, with J* and J(pi0)
 * as dashed rules: the paper's claim is that the online line rises toward J* as labels grow.
 */
export function budgetSweepCharts(points: BudgetPoint[], Jstar: number, J0: number): NamedChart[] {
  const algorithmColor = { field: 'algorithm', type: 'nominal', title: 'algorithm', legend: { labelLimit: 200 } } as const;
  const x = { field: 'labels', type: 'quantitative', title: 'preference labels (total)', scale: { type: 'log' } } as const;
  const line = (field: 'J' | 'gap', title: string) => ({
    mark: { type: 'line', point: true },
    encoding: { x, y: { field, type: 'quantitative', title, scale: { zero: false } }, color: algorithmColor,
      tooltip: [{ field: 'algorithm' }, { field: 'labels' }, { field, type: 'quantitative', format: '.3f' }] },
  }) as const;
  const rules = { data: { values: [{ y: Jstar, what: 'J(pi*)' }, { y: J0, what: 'J(pi0)' }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
    encoding: { y: { field: 'y', type: 'quantitative' }, tooltip: [{ field: 'what' }, { field: 'y', format: '.3f' }] } } as const;
  const values = points as unknown as Record<string, unknown>[];
  return [
    { id: 'sweep-J', title: 'J against labels', spec: { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: 'J (seed mean) against label budget; dashed: J(pi*), J(pi0)', width: WIDTH * 2, height: HEIGHT * 1.4,
      layer: [{ data: { values }, ...line('J', 'J = E[r*] - eta KL') }, rules] } as TopLevelSpec },
    { id: 'sweep-gap', title: 'Gap to J* against labels', spec: { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: 'Gap to J(pi*) (seed mean) against label budget', width: WIDTH * 2, height: HEIGHT * 1.4,
      data: { values }, ...line('gap', 'J* - J') } as TopLevelSpec },
  ];
}
