import type { Command } from 'commander';
import { action } from '../context';
import { addConnectionOptions } from '../connection';
import { collect, loadSpec } from '../spec-input';
import { campaignTaskQueue } from '../../client/campaigns';
import { startCampaign } from '../../client/campaigns';
import { watchCampaign } from '../watch';
import { formatIterationTable } from '../iteration-table';
import { CliError } from '../errors';
import { EXIT } from '../exit-codes';
import { checkCampaignId } from '../../schemas/campaign-id';
import { openStore } from '../../store/open';
import { storeRoot } from './worker';

export function registerRun(program: Command): void {
  addConnectionOptions(program.command('run'))
    .argument('<spec>', 'campaign spec file (YAML or JSON)')
    .option('--set <path=value>', 'override a spec field, e.g. --set update.beta=0.2 (repeatable)', collect, [])
    .option('--id <campaign>', 'campaign id (the workflow id); defaults to the spec\'s name')
    .option('--wait', 'wait for the campaign to finish, showing progress, then print its table')
    .option('--store <dir>', 'artifact store root, for the iteration records --wait prints [env PREFLOOP_STORE, default .prefloop/store]')
    .option('--json', 'print JSON')
    .description('start a campaign from a spec on the Temporal cluster (workers run it: see `prefloop worker`)')
    .action(action(async (ctx, specFile: string) => {
      // The id names the workflow and the campaign's store folder: the spec's `name` rule, checked before anything starts.
      if (ctx.opts.id !== undefined) checkCampaignId(ctx.opts.id, '--id');
      const spec = loadSpec(specFile, ctx.opts.set as string[]);
      const campaign = (ctx.opts.id as string | undefined) ?? spec.name;
      const client = await ctx.client();
      let handle;
      try {
        // Artifacts are stored under the campaign id, so an id is never reused for a different run.
        handle = await startCampaign(client, spec, { campaign, reuse: 'reject' });
      } catch (e) {
        if ((e as Error).name === 'WorkflowExecutionAlreadyStartedError') {
          throw new CliError(`campaign id "${campaign}" is already used (artifacts live under it); pass --id <new-id> or change the spec's name`, EXIT.usage);
        }
        throw e;
      }
      ctx.out.info(`started campaign ${campaign} (${spec.algorithm}, ${spec.iterations} iterations) on task queue ${campaignTaskQueue(spec)}`);
      if (!ctx.opts.wait) {
        ctx.out.result({ campaign, runId: handle.firstExecutionRunId }, () => `watch it: prefloop status ${campaign}`);
        return;
      }
      const summary = await watchCampaign(client, handle, openStore(storeRoot(ctx.opts.store)), { quiet: ctx.out.json });
      ctx.out.result({ campaign, summary }, () => formatIterationTable(summary));
    }));
}
