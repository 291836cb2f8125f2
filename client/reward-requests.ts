/**
 * What an `activity` reward source is waiting for: the campaign's open rewardRequest workflows
 * (workflows/reward-request.ts) whose reward activity is scheduled but not picked up by any worker. `prefloop status`
 * prints each as "waiting for a worker on task queue X", so a user sees at once that their reward worker is down.
 */
import type { Client } from '@temporalio/client';

export interface WaitingRewardRequest {
  workflowId: string;
  taskQueue: string;
  activity: string;
  /** When the activity was scheduled (ISO time). */
  since?: string;
  attempt: number;
}

export const REWARD_REQUEST_TYPE = 'rewardRequest';
/** temporal.api.enums.v1.PendingActivityState: scheduled, not yet started by any worker. */
const PENDING_ACTIVITY_STATE_SCHEDULED = 1;

export async function waitingRewardRequests(client: Client, campaign: string): Promise<WaitingRewardRequest[]> {
  const out: WaitingRewardRequest[] = [];
  const query = `WorkflowType = '${REWARD_REQUEST_TYPE}' AND ExecutionStatus = 'Running'`;
  for await (const info of client.workflow.list({ query })) {
    if (!info.workflowId.startsWith(`${campaign}/`)) continue;
    const description = await client.workflow.getHandle(info.workflowId, info.runId).describe();
    const memo = (description.memo ?? {}) as { taskQueue?: string; activity?: string };
    for (const pending of description.raw.pendingActivities ?? []) {
      if (Number(pending.state) !== PENDING_ACTIVITY_STATE_SCHEDULED) continue;
      out.push({
        workflowId: info.workflowId,
        taskQueue: memo.taskQueue ?? '?',
        activity: pending.activityType?.name ?? memo.activity ?? '?',
        since: pending.scheduledTime?.seconds != null ? new Date(Number(pending.scheduledTime.seconds) * 1000).toISOString() : undefined,
        attempt: pending.attempt ?? 1,
      });
    }
  }
  return out;
}
