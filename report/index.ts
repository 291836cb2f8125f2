import { iterationPoints, trainPoints } from './chart-data';
import { frontierChart, iterationCharts, trainingCharts, type NamedChart } from './charts';
import { renderHtml } from './html';
import { renderSvg } from './render-svg';
import type { ReportInput } from './types';

export type { AuditRow, IterationTrainLog, ReportCampaign, ReportInput } from './types';

async function withSvg(chart: NamedChart): Promise<{ chart: NamedChart; svg: string }> {
  return { chart, svg: await renderSvg(chart.spec) };
}

/** Build the report: one self-contained HTML document whose charts are inline static SVG. */
export async function buildReport(input: ReportInput): Promise<string> {
  if (input.campaigns.length === 0) throw new Error('report needs at least one campaign summary');
  const points = input.campaigns.flatMap((c) => iterationPoints(c.summary));
  const steps = input.campaigns.flatMap((c) => trainPoints(c));
  const names = input.campaigns.map((c) => c.summary.campaign);
  return renderHtml({
    title: input.title ?? `prefloop report: ${names.join(', ')}`,
    generatedAt: input.generatedAt ?? new Date().toISOString(),
    campaigns: input.campaigns,
    iterationCharts: await Promise.all(iterationCharts(points).map(withSvg)),
    frontier: await withSvg(frontierChart(points)),
    trainingCharts: await Promise.all(trainingCharts(steps).map(withSvg)),
  });
}
