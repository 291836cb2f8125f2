import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { CampaignSummary } from '../schemas/results';
import { openStore } from '../store/open';
import type { ArtifactStore } from '../store/types';
import { buildReport, type ReportCampaign } from '../report';
import { campaignResult, describeCampaign } from '../client/campaigns';
import { CliError } from './errors';
import { EXIT } from './exit-codes';
import { stateDir } from './local-server';
import { reportCampaign } from './report-input';
import { auditRows } from './audit';

export async function finishedSummary(client: Client, campaign: string, store: ArtifactStore): Promise<CampaignSummary> {
  const info = await describeCampaign(client, campaign);
  if (info.status.name !== 'COMPLETED') {
    throw new CliError(`campaign "${campaign}" is ${info.status.name.toLowerCase()}; a report needs a completed campaign (wait for it, or \`prefloop stop ${campaign}\`)`, EXIT.failure);
  }
  return campaignResult(client, campaign, store);
}

export function defaultReportPath(campaigns: string[]): string {
  const name = campaigns.length === 1 ? campaigns[0] : `${campaigns[0]}-and-${campaigns.length - 1}-more`;
  return path.join(stateDir(), 'reports', `${name.replace(/[^a-zA-Z0-9._-]/g, '_')}.html`);
}

/** Collect summaries, audits and training logs of finished campaigns and write one HTML report. */
export async function writeCampaignReport(client: Client, campaigns: string[], opts: { storeRoot: string; out?: string; title?: string }): Promise<{ path: string; missing: string[]; summaries: CampaignSummary[] }> {
  const store = openStore(opts.storeRoot);
  const parts: ReportCampaign[] = [];
  const missing: string[] = [];
  for (const campaign of campaigns) {
    const summary = await finishedSummary(client, campaign, store);
    const audit = await auditRows(client, campaign, store);
    const part = await reportCampaign(store, summary, audit);
    parts.push(part.campaign);
    missing.push(...part.missing.map((m) => `${campaign}: ${m}`));
  }
  const html = await buildReport({ title: opts.title, campaigns: parts });
  const out = path.resolve(opts.out ?? defaultReportPath(campaigns));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, html);
  return { path: out, missing, summaries: parts.map((p) => p.summary) };
}
