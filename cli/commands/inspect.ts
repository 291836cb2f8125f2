import type { Command } from 'commander';
import type { ArtifactRef } from '../../schemas/artifacts';
import { action } from '../context';
import { addConnectionOptions } from '../connection';
import { describeCampaign } from '../../client/campaigns';
import { auditEvaluationRows, auditToRows } from '../audit';
import { formatIterationRows } from '../iteration-table';
import { auditCampaign } from '../../client/audit';
import { formatTable } from '../output';
import { collect } from '../spec-input';
import { ForkError, forkCampaign } from '../../client/fork';
import { openStore } from '../../store/open';
import { writeCampaignReport } from '../campaign-report';
import { storeRoot } from './worker';
import { CliError, usageError } from '../errors';
import { EXIT } from '../exit-codes';
import { checkCampaignId } from '../../schemas/campaign-id';

const refList = (refs: Record<string, ArtifactRef | undefined>, pruned: string[] = []) =>
  Object.entries(refs).filter(([, r]) => r).map(([n, r]) => `${n}:${r!.sha256.slice(0, 12)}${r!.rows !== undefined ? `(${r!.rows})` : ''}${pruned.includes(r!.uri) ? '[pruned]' : ''}`).join(' ') || '-';

export function registerInspect(program: Command): void {
  addConnectionOptions(program.command('history'))
    .argument('<campaign>', 'campaign id')
    .description('each evaluation so far (as status shows them), then the audit: every step with its input and output artifacts (sha256, rows), attempts and duration')
    .option('--store <dir>', 'artifact store root, for the attempt journal [env PREFLOOP_STORE, default .prefloop/store]')
    .option('--all-histories', 'read every iteration\'s Temporal history (each step\'s worker and the server\'s times), also where the store records its steps')
    .option('--json', 'print the full audit as JSON (refs, seeds, hyper-parameters, attempt journal, control events)')
    .action(action(async (ctx, campaign: string) => {
      const client = await ctx.client();
      await describeCampaign(client, campaign);
      const audit = await auditCampaign(client, openStore(storeRoot(ctx.opts.store)), campaign, { childHistories: ctx.opts.allHistories ? 'all' : 'when-needed' });
      const rows = auditToRows(audit);
      const evaluations = auditEvaluationRows(audit);
      // The evaluations (as `status` shows a finished campaign's) above the steps that produced them.
      ctx.out.result(audit, () => [
        ...(evaluations.length ? [formatIterationRows(evaluations), ''] : []),
        formatTable(
          ['iter', 'step', 'attempts', 'duration', 'status', 'inputs', 'outputs'],
          rows.map((r) => [String(r.iteration), r.step, String(r.attempts ?? '-'), r.seconds === undefined ? '-' : `${r.seconds.toFixed(2)}s`,
            r.status ?? '-', refList(r.inputs, r.pruned), refList(r.outputs, r.pruned)]),
        ),
      ].join('\n'));
    }));

  addConnectionOptions(program.command('fork'))
    .argument('<campaign>', 'campaign to fork')
    .requiredOption('--from-iteration <k>', 'iteration whose checkpoint and data become the new campaign\'s iteration 0 (0 = pi0)')
    .option('--set <path=value>', 'change a spec field of the fork (repeatable)', collect, [])
    .option('--id <campaign>', 'id of the new campaign (default <campaign>-fork<k>)')
    .option('--json', 'print JSON')
    .description('start a new campaign from iteration k of another one, optionally with a changed spec; provenance is recorded')
    .action(action(async (ctx, campaign: string) => {
      const k = Number(ctx.opts.fromIteration);
      if (!Number.isInteger(k) || k < 0) throw usageError(`--from-iteration must be a non-negative integer, got ${String(ctx.opts.fromIteration)}`);
      if (ctx.opts.id !== undefined) checkCampaignId(ctx.opts.id, '--id');
      const client = await ctx.client();
      await describeCampaign(client, campaign);
      let started;
      try {
        started = await forkCampaign(client, { campaign, iteration: k, sets: ctx.opts.set as string[], newCampaign: ctx.opts.id as string | undefined });
      } catch (e) {
        if (e instanceof ForkError) {
          if (e.reason === 'id-taken') throw usageError(`${e.message}: pass --id <new-id>`);
          throw e.reason === 'bad-iteration' ? usageError(`--from-iteration: ${e.message}`) : new CliError(e.message, EXIT.failure);
        }
        throw e;
      }
      const result = { campaign: started.campaign, from: started.from, spec: started.spec, patch: started.patch };
      ctx.out.result(result, () => `started ${result.campaign}: fork of ${campaign} at iteration ${k} (checkpoint ${result.from.checkpoint.sha256.slice(0, 12)}); watch it: prefloop status ${result.campaign}`);
    }));

  addConnectionOptions(program.command('report'))
    .argument('<campaigns...>', 'one or more completed campaigns (several share the charts and the frontier)')
    .option('--out <file.html>', 'where to write (default .prefloop/reports/<campaign>.html)')
    .option('--store <dir>', 'artifact store root, for per-step training logs [env PREFLOOP_STORE, default .prefloop/store]')
    .option('--title <text>', 'report title')
    .option('--json', 'print JSON')
    .description('write one self-contained HTML report (static SVG charts, audit table) for finished campaigns')
    .action(action(async (ctx, campaigns: string[]) => {
      const result = await writeCampaignReport(await ctx.client(), campaigns, {
        storeRoot: storeRoot(ctx.opts.store), out: ctx.opts.out as string | undefined, title: ctx.opts.title as string | undefined,
      });
      for (const m of result.missing) ctx.out.info(`note: ${m}`);
      ctx.out.result({ report: result.path, campaigns, missing: result.missing }, () => `report: ${result.path}`);
    }));
}
