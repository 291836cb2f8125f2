import type { Command } from 'commander';
import { action } from '../context';
import { formatTable } from '../output';
import { addConnectionOptions } from '../connection';
import { listCampaigns } from '../../client/campaigns';
import { campaignRow } from '../campaign-ops';

export function registerList(program: Command): void {
  addConnectionOptions(program.command('list'))
    .description('list campaigns (newest first)')
    .option('--query <visibility query>', 'extra Temporal visibility filter, e.g. "PrefloopAlgorithm=\'rso\'"')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(action(async (ctx) => {
      const listed = await listCampaigns(await ctx.client(), ctx.opts.query as string | undefined, { limit: Number(ctx.opts.limit) || 50 });
      const rows = listed.map(campaignRow);
      ctx.out.result(rows, () => rows.length === 0 ? 'no campaigns' : formatTable(
        ['campaign', 'status', 'algorithm', 'iteration', 'best J', 'started'],
        rows.map((r) => [r.campaign, r.status, r.algorithm ?? '-', r.iteration === undefined ? '-' : String(r.iteration),
          r.bestJ === undefined ? '-' : r.bestJ.toFixed(4), r.startTime ?? '-']),
      ));
    }));
}
