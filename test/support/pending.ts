import type { Client } from '@temporalio/client';
import { decodePayloads } from '../../client/history';

export interface PendingActivity {
  activityType: string;
  attempt: number;
  /** The last heartbeat cursor the server holds for it (undefined: none yet). */
  cursor: unknown;
  /** Identity of the worker running (or that last ran) it, e.g. 'w1/inference' for `prefloop worker --identity w1`. */
  worker: string | undefined;
}

/** Activities in flight for a workflow, as the server sees them (what a new attempt would resume from). */
export async function pendingActivities(client: Client, workflowId: string): Promise<PendingActivity[]> {
  const description = await client.workflow.getHandle(workflowId).describe();
  return (description.raw.pendingActivities ?? []).map((p) => ({
    activityType: p.activityType?.name ?? '',
    attempt: p.attempt ?? 1,
    cursor: p.heartbeatDetails ? decodePayloads(p.heartbeatDetails)[0] : undefined,
    worker: p.lastWorkerIdentity || undefined,
  }));
}

/** No activity in flight and no workflow task waiting: the workflow is holding, not between two events. */
export async function isQuiescent(client: Client, workflowId: string): Promise<boolean> {
  const description = await client.workflow.getHandle(workflowId).describe();
  return (description.raw.pendingActivities ?? []).length === 0 && !description.raw.pendingWorkflowTask;
}
