import type { ArtifactRef } from '../schemas/artifacts';
import type { NamedChart } from './charts';
import { ITERATION_COLUMNS, cellText, iterationRows } from './iteration-rows';
import type { AuditRow, ReportCampaign } from './types';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;color:#1d2330;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dde;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.muted{color:#667}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #e3e6ee;border-radius:6px;padding:6px;background:#fff}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}th,td{border:1px solid #e3e6ee;padding:3px 7px;text-align:right;vertical-align:top}
th{background:#f4f6fa}td.l,th.l{text-align:left}tr.best td{background:#eef8ee;font-weight:600}
code{font:11.5px ui-monospace,Menlo,Consolas,monospace}details summary{cursor:pointer}`;

function chartBlock(chart: NamedChart, svg: string): string {
  return `<figure class="chart" data-chart="${escapeHtml(chart.id)}" aria-label="${escapeHtml(chart.title)}">${svg}</figure>`;
}

function iterationTable(campaign: ReportCampaign): string {
  const rows = iterationRows(campaign.summary);
  const head = ITERATION_COLUMNS.map((c) => `<th>${escapeHtml(c.header)}</th>`).join('');
  const body = rows.map((r) => `<tr${r.best ? ' class="best"' : ''}>${ITERATION_COLUMNS.map((c) => `<td>${escapeHtml(cellText(r, c))}</td>`).join('')}</tr>`).join('\n');
  return `<table class="iterations"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function refCell(refs: Record<string, ArtifactRef | undefined>): string {
  const items = Object.entries(refs).filter((e): e is [string, ArtifactRef] => e[1] !== undefined);
  if (items.length === 0) return '-';
  return items.map(([name, ref]) => {
    const rows = ref.rows !== undefined ? `, ${ref.rows} rows` : '';
    return `<div><b>${escapeHtml(name)}</b> <code title="${escapeHtml(ref.uri)}">${escapeHtml(ref.sha256.slice(0, 16))}</code> <span class="muted">${ref.bytes} B${rows}</span></div>`;
  }).join('');
}

function auditTable(rows: AuditRow[]): string {
  if (rows.length === 0) return '<p class="muted">No audit rows were available for this campaign.</p>';
  const body = rows.map((r) => `<tr><td>${r.iteration}</td><td class="l">${escapeHtml(r.step)}</td>`
    + `<td class="l">${refCell(r.inputs)}</td><td class="l">${refCell(r.outputs)}</td>`
    + `<td>${r.attempts ?? '-'}</td><td>${r.seconds === undefined ? '-' : `${r.seconds.toFixed(2)}s`}</td><td class="l">${escapeHtml(r.status ?? '')}</td></tr>`).join('\n');
  return `<table class="audit"><thead><tr><th>iter</th><th class="l">step</th><th class="l">inputs (sha256)</th><th class="l">outputs (sha256)</th><th>attempts</th><th>duration</th><th class="l">status</th></tr></thead><tbody>${body}</tbody></table>`;
}

export interface HtmlParts {
  title: string;
  generatedAt: string;
  campaigns: ReportCampaign[];
  iterationCharts: Array<{ chart: NamedChart; svg: string }>;
  frontier: { chart: NamedChart; svg: string };
  trainingCharts: Array<{ chart: NamedChart; svg: string }>;
}

export function renderHtml(p: HtmlParts): string {
  const perCampaign = p.campaigns.map((c) => {
    const s = c.summary;
    const fc = s.finalCheckpoint;
    return `<section class="campaign" data-campaign="${escapeHtml(s.campaign)}">
<h2>${escapeHtml(s.campaign)} <span class="muted">(${escapeHtml(s.algorithm)})</span></h2>
<p>${s.iterations.length} iteration(s), best iteration <b>${s.bestIteration}</b>, ${s.labels} preference labels${s.stoppedEarly ? ', stopped early' : ''}.
Final checkpoint <code title="${escapeHtml(fc.uri)}">${escapeHtml(fc.sha256)}</code>.</p>
${iterationTable(c)}
<h3>Audit</h3>
<details open><summary>${c.audit.length} step(s)</summary>${auditTable(c.audit)}</details>
</section>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(p.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(p.title)}</h1>
<p class="muted">Generated ${escapeHtml(p.generatedAt)} by prefloop. Iteration 0 is the initial policy pi0.</p>
<h2>Per iteration</h2>
<div class="charts">${p.iterationCharts.map((c) => chartBlock(c.chart, c.svg)).join('\n')}</div>
<h2>Reward-KL frontier</h2>
<div class="charts">${chartBlock(p.frontier.chart, p.frontier.svg)}</div>
<h2>Training</h2>
<div class="charts">${p.trainingCharts.length ? p.trainingCharts.map((c) => chartBlock(c.chart, c.svg)).join('\n') : '<p class="muted">No per-step training logs were available.</p>'}</div>
${perCampaign}
</body></html>
`;
}
