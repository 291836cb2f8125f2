import type { Command } from 'commander';
import { action } from '../context';
import { addConnectionOptions } from '../connection';
import { formatTable } from '../output';
import { collect, loadSpec } from '../spec-input';
import { CAMPAIGN_WORKFLOW, campaignTaskQueue } from '../../client/campaigns';
import { notFoundError, oneLine, usageError } from '../errors';
import { checkCampaignId } from '../../schemas/campaign-id';

const GRPC_INVALID_ARGUMENT = 3;
const CRON_EXAMPLE = 'write five fields "minute hour day-of-month month day-of-week", e.g. --cron "0 2 * * *" (02:00 UTC daily), or @daily, @hourly, @every 6h';
const CRON_DESCRIPTOR = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every\s+\S+)$/;
const CRON_FIELD = /^[A-Za-z0-9*?/,#-]+$/;

/** Temporal's cron syntax, checked before the server sees it: 5 fields (6-7 with seconds or year) or a descriptor. */
export function checkCron(cron: string): void {
  const expr = cron.trim().replace(/^CRON_TZ=\S+\s+/, '');
  const fields = expr.split(/\s+/).filter(Boolean);
  const ok = CRON_DESCRIPTOR.test(expr) || (fields.length >= 5 && fields.length <= 7 && fields.every((f) => CRON_FIELD.test(f)));
  if (!ok) throw usageError(`--cron "${cron}" is not a cron expression: ${CRON_EXAMPLE}`);
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('recurring campaigns on Temporal Schedules (overlap policy: skip)');

  addConnectionOptions(schedule.command('create'))
    .argument('<schedule-id>', 'schedule id; each run is a campaign with id <schedule-id>-<timestamp>')
    .argument('<spec>', 'campaign spec file (YAML or JSON)')
    .option('--cron <expr>', 'cron expression, e.g. "0 2 * * *" (every night at 02:00 UTC)')
    .option('--every <duration>', 'fixed interval, e.g. 24h or 30m')
    .option('--set <path=value>', 'override a spec field (repeatable)', collect, [])
    .option('--paused', 'create the schedule paused')
    .option('--json', 'print JSON')
    .description('create a schedule that starts a campaign from a spec on a calendar; a run still in progress is skipped, never overlapped')
    .action(action(async (ctx, scheduleId: string, specFile: string) => {
      const cron = ctx.opts.cron as string | undefined;
      const every = ctx.opts.every as string | undefined;
      if (!cron === !every) throw usageError('give exactly one of --cron "<expr>" or --every <duration>');
      if (every && !/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(every)) throw usageError(`--every ${every} is not a duration like 30m, 24h or 1d`);
      if (cron) checkCron(cron);
      // Each run's campaign id is <schedule-id>-<time>: the id takes the campaign id rule.
      checkCampaignId(scheduleId, '<schedule-id>');
      const spec = loadSpec(specFile, ctx.opts.set as string[]);
      const client = await ctx.client();
      const { ScheduleOverlapPolicy } = await import('@temporalio/client');
      await client.schedule.create({
        scheduleId,
        spec: cron ? { cronExpressions: [cron] } : { intervals: [{ every: every as `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` }] },
        action: {
          type: 'startWorkflow',
          workflowType: CAMPAIGN_WORKFLOW,
          workflowId: scheduleId,
          taskQueue: campaignTaskQueue(spec),
          args: [{ spec }],
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        state: { paused: Boolean(ctx.opts.paused), note: `prefloop schedule of ${specFile}` },
      }).catch((e: unknown) => {
        // The server has the last word on a calendar; what it refuses is the user's input, not a failure.
        if (cron && (e as { code?: number }).code === GRPC_INVALID_ARGUMENT) throw usageError(`--cron "${cron}": the server refused it (${oneLine((e as Error).message)}); ${CRON_EXAMPLE}`);
        throw e;
      });
      ctx.out.result({ scheduleId, spec: specFile, cron: cron ?? null, every: every ?? null, overlap: 'skip' },
        () => `schedule ${scheduleId} created: ${spec.name} (${spec.algorithm}) ${cron ? `on cron "${cron}"` : `every ${every}`}, overlap skip`);
    }));

  addConnectionOptions(schedule.command('list'))
    .description('list schedules')
    .option('--json', 'print JSON')
    .action(action(async (ctx) => {
      const client = await ctx.client();
      const rows: Array<{ scheduleId: string; workflowType?: string; paused: boolean; next?: string; recent?: string; note?: string }> = [];
      for await (const s of client.schedule.list()) {
        rows.push({
          scheduleId: s.scheduleId,
          workflowType: s.action?.workflowType,
          paused: s.state.paused,
          next: s.info.nextActionTimes[0]?.toISOString(),
          recent: s.info.recentActions.at(-1)?.takenAt.toISOString(),
          note: s.state.note,
        });
      }
      ctx.out.result(rows, () => rows.length === 0 ? 'no schedules' : formatTable(
        ['schedule', 'workflow', 'paused', 'next run', 'last run'],
        rows.map((r) => [r.scheduleId, r.workflowType ?? '-', r.paused ? 'yes' : 'no', r.next ?? '-', r.recent ?? '-']),
      ));
    }));

  addConnectionOptions(schedule.command('delete'))
    .argument('<schedule-id>', 'schedule id')
    .description('delete a schedule (campaigns it already started keep running)')
    .option('--json', 'print JSON')
    .action(action(async (ctx, scheduleId: string) => {
      const client = await ctx.client();
      try {
        await client.schedule.getHandle(scheduleId).delete();
      } catch (e) {
        if ((e as Error).name === 'ScheduleNotFoundError' || (e as { code?: number }).code === 5) {
          throw notFoundError(`unknown schedule "${scheduleId}" (see \`prefloop schedule list\`)`);
        }
        throw e;
      }
      ctx.out.result({ scheduleId, deleted: true }, () => `schedule ${scheduleId} deleted`);
    }));
}
