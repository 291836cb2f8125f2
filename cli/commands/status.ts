import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { CampaignStatus } from '../../workflows/types';
import type { CampaignSummary } from '../../schemas/results';
import { action } from '../context';
import { addConnectionOptions } from '../connection';
import { campaignResult, campaignStatus, describeCampaign, isRunning } from '../../client/campaigns';
import { formatIterationTable } from '../iteration-table';
import { openStore } from '../../store/open';
import type { ArtifactStore } from '../../store/types';
import { storeRoot } from './worker';
import { ALGORITHM, ITERATION, STATUS } from '../../workflows/search-attributes';
import { waitingRewardRequests, type WaitingRewardRequest } from '../../client/reward-requests';

export interface StatusReport {
  campaign: string;
  /** Temporal's view: running, completed, failed, terminated, ... */
  workflowStatus: string;
  /** The campaign's own status query, when a worker answered it. */
  status?: CampaignStatus;
  /** The campaign's result, when it completed. */
  summary?: CampaignSummary;
  /** Set when the campaign runs but no worker answered the status query in time. */
  note?: string;
  /** Reward requests (reward.source.kind 'activity') that no worker has picked up yet. */
  waiting?: WaitingRewardRequest[];
}

const QUERY_DEADLINE_MS = 5000;

export async function statusReport(client: Client, campaign: string, store: ArtifactStore): Promise<StatusReport> {
  const info = await describeCampaign(client, campaign);
  const report: StatusReport = { campaign, workflowStatus: info.status.name.toLowerCase() };
  if (isRunning(info)) {
    const waiting = await waitingRewardRequests(client, campaign);
    if (waiting.length) report.waiting = waiting;
    try {
      report.status = await campaignStatus(client, campaign, { deadlineMs: QUERY_DEADLINE_MS });
    } catch (e) {
      const sa = info.typedSearchAttributes;
      report.note = `no worker answered the status query (${(e as Error).message.split('\n')[0]}); last recorded: `
        + `status ${sa.get(STATUS) ?? '?'}, algorithm ${sa.get(ALGORITHM) ?? '?'}, iteration ${sa.get(ITERATION) ?? '?'}. Start one with \`prefloop worker\`.`;
    }
  } else if (info.status.name === 'COMPLETED') {
    report.summary = await campaignResult(client, campaign, store);
  }
  return report;
}

export function formatStatus(r: StatusReport): string {
  const lines = [`campaign ${r.campaign}: ${r.status?.paused ? 'paused' : r.workflowStatus}`];
  const s = r.status;
  if (s) {
    lines.push(`  algorithm ${s.algorithm}, iteration ${s.iteration}/${s.iterations} (${s.completed} completed), step ${s.step}`
      + (s.shards ? `, shards ${s.shardsDone}/${s.shards}` : ''));
    if (s.best) {
      const more = [s.best.reward !== undefined ? `reward ${s.best.reward.toFixed(4)}` : '', s.best.winRate !== undefined ? `win rate ${s.best.winRate.toFixed(3)}` : ''].filter(Boolean);
      lines.push(`  best so far: iteration ${s.best.iteration}, J ${s.best.J.toFixed(4)}${more.length ? `, ${more.join(', ')}` : ''}`);
    }
    if (s.stopAfterIteration) lines.push('  stopping after the current iteration');
    for (const p of s.pending) lines.push(`  pending from iteration ${p.appliesFrom}: ${JSON.stringify(p.patch)}`);
    for (const c of s.changes) lines.push(`  changed from iteration ${c.appliesFrom}: ${JSON.stringify(c.patch)}`);
    if (s.fork) lines.push(`  forked from ${s.fork.campaign} iteration ${s.fork.iteration}`);
  }
  for (const w of r.waiting ?? []) {
    lines.push(`  waiting for a worker on task queue '${w.taskQueue}' (reward activity '${w.activity}', scheduled ${w.since ?? '?'}, attempt ${w.attempt}): start the reward worker on that queue`);
  }
  if (r.note) lines.push(`  ${r.note}`);
  if (r.summary) {
    lines.push(`  ${r.summary.algorithm}, ${r.summary.iterations.length} iteration(s), best iteration ${r.summary.bestIteration}${r.summary.stoppedEarly ? ', stopped early' : ''}`);
    lines.push(formatIterationTable(r.summary));
  }
  return lines.join('\n');
}

export function registerStatus(program: Command): void {
  addConnectionOptions(program.command('status'))
    .argument('<campaign>', 'campaign id (the workflow id)')
    .description('show where a campaign is (iteration, step, best so far) or, once finished, its result')
    .option('--store <dir>', 'artifact store root, for a finished campaign\'s iteration records [env PREFLOOP_STORE, default .prefloop/store]')
    .option('--json', 'print JSON')
    .action(action(async (ctx, campaign: string) => {
      const report = await statusReport(await ctx.client(), campaign, openStore(storeRoot(ctx.opts.store)));
      ctx.out.result(report, () => formatStatus(report));
    }));
}
