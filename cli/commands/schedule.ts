import type { Command } from 'commander';
import { action } from '../context';
import { addConnectionOptions } from '../connection';
import { formatTable } from '../output';
import { collect, loadSpec } from '../spec-input';
import { CAMPAIGN_WORKFLOW, campaignTaskQueue } from '../campaign-ops';
import { notFoundError, usageError } from '../errors';

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
