import type { Command } from 'commander';
import { action } from '../context';
import { addConnectionOptions } from '../connection';
import { describeCampaign } from '../../client/campaigns';
import { usageError } from '../errors';
import { storeRoot } from './worker';
import type { PrunableStore } from '../../client/gc';

export function registerGc(program: Command): void {
  addConnectionOptions(program.command('gc'))
    .argument('<campaign>', 'campaign id')
    .requiredOption('--keep <list>', 'iterations whose data and checkpoints stay: best, last, every:N and iteration numbers, e.g. best,last,every:10')
    .option('--dry-run', 'say what would be pruned, prune nothing')
    .option('--store <dir>', 'artifact store root [env PREFLOOP_STORE, default .prefloop/store]')
    .option('--json', 'print JSON')
    .description('prune the sampled data and checkpoints of iterations not kept; set-up, outputs, training logs, evaluations and the audit stay, and pruned artifacts show as pruned')
    .action(action(async (ctx, campaign: string) => {
      const { gcCampaign, parseKeep } = await import('../../client/gc');
      let keep;
      try {
        keep = parseKeep(ctx.opts.keep as string);
      } catch (e) {
        throw usageError(`--keep: ${(e as Error).message}`);
      }
      const client = await ctx.client();
      await describeCampaign(client, campaign);
      const { openStore } = await import('../../store/open');
      // Both backends (a directory, s3://) can prune.
      const store = openStore(storeRoot(ctx.opts.store)) as ReturnType<typeof openStore> & PrunableStore;
      const plan = await gcCampaign(client, store, campaign, keep, { dryRun: Boolean(ctx.opts.dryRun) });
      const mib = (plan.bytes / 2 ** 20).toFixed(1);
      ctx.out.result(plan, () => `${ctx.opts.dryRun ? 'would prune' : 'pruned'} ${plan.pruned.length} artifact(s), ${mib} MiB, of campaign ${campaign}`
        + ` (${plan.running ? 'running' : 'finished'}; kept iterations ${plan.kept.join(', ') || 'none'}${plan.best !== undefined ? `, best ${plan.best}` : ''}, last ${plan.last}, and set-up)`);
    }));
}
