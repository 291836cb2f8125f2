import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { ALGORITHM, BEST_J, ITERATION, STATUS } from '../workflows/search-attributes';
import { notFoundError } from './errors';

/** The workflow type every campaign runs as. */
export const CAMPAIGN_WORKFLOW = 'preferenceCampaign';

export interface CampaignRow {
  campaign: string;
  status: string;
  algorithm?: string;
  iteration?: number;
  bestJ?: number;
  startTime?: string;
  closeTime?: string;
}

function rowOf(info: WorkflowExecutionInfo): CampaignRow {
  const sa = info.typedSearchAttributes;
  const workflowStatus = info.status.name.toLowerCase();
  // While running, the campaign's own status attribute (running/paused) says more than Temporal's RUNNING.
  const status = workflowStatus === 'running' ? (sa.get(STATUS) ?? 'running') : workflowStatus;
  return {
    campaign: info.workflowId,
    status,
    algorithm: sa.get(ALGORITHM),
    iteration: sa.get(ITERATION),
    bestJ: sa.get(BEST_J),
    startTime: info.startTime?.toISOString(),
    closeTime: info.closeTime?.toISOString(),
  };
}

export async function campaignRows(client: Client, opts: { query?: string; limit: number }): Promise<CampaignRow[]> {
  const query = [`WorkflowType = '${CAMPAIGN_WORKFLOW}'`, opts.query ? `(${opts.query})` : ''].filter(Boolean).join(' AND ');
  const rows: CampaignRow[] = [];
  for await (const info of client.workflow.list({ query })) {
    rows.push(rowOf(info));
    if (rows.length >= opts.limit) break;
  }
  return rows;
}

/** A handle to an existing campaign; unknown ids are exit code 3 with the id in the message. */
export async function campaignHandle(client: Client, campaign: string): Promise<{ handle: WorkflowHandle; info: WorkflowExecutionDescription }> {
  const handle = client.workflow.getHandle(campaign);
  try {
    const info = await handle.describe();
    if (info.type !== CAMPAIGN_WORKFLOW) throw notFoundError(`"${campaign}" is a ${info.type} workflow, not a prefloop campaign`);
    return { handle, info };
  } catch (e) {
    if ((e as Error).name === 'WorkflowNotFoundError') {
      throw notFoundError(`unknown campaign "${campaign}" in namespace ${client.options.namespace} (see \`prefloop list\`)`);
    }
    throw e;
  }
}

export function isRunning(info: { status: { name: string } }): boolean {
  return info.status.name === 'RUNNING';
}

/** Campaign and iteration workflows run on the light CPU queue; heavy steps go to their own queues. */
export function campaignTaskQueue(spec: { execution: { taskQueues: { cpu: string } } }): string {
  return spec.execution.taskQueues.cpu;
}
