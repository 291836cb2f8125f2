import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { runCampaign } from '../../engine/runner';
import { LocalArtifactStore } from '../../store/local';
import { buildReport, type ReportCampaign } from '../../report';
import { readTrainLogs } from '../../cli/report-input';
import { auditFromStore } from '../../cli/audit-store';

const OUT = path.resolve(__dirname, '..', '..', 'test-output', 'report');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A tiny bandit campaign: seconds on one core, but every step of online iterative DPO runs for real. */
const tinySpec = (name: string, beta: number) => ({
  name,
  iterations: 2,
  seed: 3,
  policy: { source: 'builtin' as const, model: { dModel: 16, layers: 1, heads: 2, context: 8 } },
  task: { name: 'bandit' as const, vocab: 4, promptLength: 2, responseLength: 2, trainPrompts: 16, evalPrompts: 4, featureDim: 4, sft: { steps: 20, batchSize: 8 } },
  sampling: { promptsPerIteration: 8, n: 4, shards: 1 },
  update: { epochs: 2, batchSize: 4, beta },
  evaluation: { prompts: 4 },
});

async function realCampaign(store: LocalArtifactStore, name: string, beta: number): Promise<ReportCampaign> {
  const summary = await runCampaign(tinySpec(name, beta), { store });
  const { logs, missing } = await readTrainLogs(store, summary);
  expect(missing).toEqual([]);
  return { summary, trainLogs: logs, audit: await auditFromStore(store, name) };
}

describe('campaign report', () => {
  let browser: Browser;
  let campaigns: ReportCampaign[];
  let html: string;
  let storeRoot: string;

  beforeAll(async () => {
    storeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-report-'));
    const store = new LocalArtifactStore(storeRoot);
    campaigns = [await realCampaign(store, 'tiny-beta-0.1', 0.1), await realCampaign(store, 'tiny-beta-0.5', 0.5)];
    html = await buildReport({ title: 'report test', campaigns });
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, 'report.html'), html);
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(storeRoot, { recursive: true, force: true });
  });

  it('is self-contained: no scripts, no external resources', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\s(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
  });

  it('renders every chart as non-empty SVG in headless Chromium, with no network request', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const external: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      external.push(url);
      return route.abort();
    });
    await page.goto(`file://${path.join(OUT, 'report.html')}`);
    const charts = await page.$$eval('figure.chart', (figs) => figs.map((f) => {
      const svg = f.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      // vega draws data lines and points as <path d="..."> in role-mark groups (legends are role-legend-symbol).
      const marks = Array.from(f.querySelectorAll('g.mark-line.role-mark path, g.mark-symbol.role-mark path'))
        .filter((p: any) => (p.getAttribute('d') ?? '').length > 2).length;
      return { id: f.getAttribute('data-chart'), width: box?.width ?? 0, height: box?.height ?? 0, marks };
    }));
    await page.screenshot({ path: path.join(OUT, 'report.png'), fullPage: true });
    await page.close();

    expect(charts.map((c) => c.id)).toEqual(['reward', 'kl', 'J', 'gap', 'frontier', 'loss', 'margins']);
    for (const c of charts) {
      expect({ id: c.id, drawn: c.width > 100 && c.height > 100, marked: c.marks > 0 }).toEqual({ id: c.id, drawn: true, marked: true });
    }
    expect(external).toEqual([]);
    expect(fs.statSync(path.join(OUT, 'report.png')).size).toBeGreaterThan(10_000);
  });

  it('plots one point per iteration (pi0 included) for each campaign, and every training step', async () => {
    const page = await browser.newPage();
    await page.goto(`file://${path.join(OUT, 'report.html')}`);
    const frontierPoints = await page.$$eval('figure[data-chart="frontier"] g.mark-symbol.role-mark path', (ps) => ps.length);
    const iterationRows = await page.$$eval('section.campaign table.iterations tbody tr', (rs) => rs.length);
    const auditRows = await page.$$eval('section.campaign table.audit tbody tr', (rs) => rs.length);
    await page.close();
    const expectedPoints = campaigns.reduce((n, c) => n + c.summary.iterations.length + 1, 0);
    expect(frontierPoints).toBe(expectedPoints);
    expect(iterationRows).toBe(expectedPoints);
    expect(auditRows).toBe(campaigns.reduce((n, c) => n + c.audit.length, 0));
    // Every audited output carries its sha256 in the page.
    const someRef = Object.values(campaigns[0].audit.find((r) => r.step === 'update')!.outputs)[0]!;
    expect(html).toContain(someRef.sha256.slice(0, 16));
  });
});
