/**
 * The client-side API the CLI uses: start, list, describe, control and query campaigns. Audit and fork live beside it.
 */
import { WorkflowIdReusePolicy, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { CampaignSpecSchema, type CampaignSpec, type CampaignSpecInput } from '../schemas/campaign';
import { checkCampaignId } from '../schemas/campaign-id';
import { parseCampaignSpec } from '../schemas/parse';
import type { CampaignSummary } from '../schemas/results';
import type { ArtifactStore } from '../store/types';
import { preferenceCampaign } from '../workflows/campaign';
import { iterationWorkflowId } from '../workflows/iteration';
import {
  iterationStatusQuery, pauseSignal, resumeSignal, setHyperparametersUpdate, statusQuery, stopAfterIterationSignal,
} from '../workflows/messages';
import { ALGORITHM, BEST_J, CAMPAIGN, ITERATION, STATUS } from '../workflows/search-attributes';
import type { CampaignInput, CampaignStatus, IterationStatus } from '../workflows/types';
import { summaryOf } from './summary';

/** The workflow type every campaign runs as. */
export const CAMPAIGN_WORKFLOW = 'preferenceCampaign';

/** An id that names no campaign in the namespace: no workflow, or a workflow of another type. */
export class CampaignNotFoundError extends Error {
  override readonly name = 'CampaignNotFoundError';
}

/** Campaign and iteration workflows run on the spec's light CPU queue; heavy steps go to their own queues. */
export function campaignTaskQueue(spec: { execution: { taskQueues: { cpu: string } } }): string {
  return spec.execution.taskQueues.cpu;
}

export function isRunning(info: { status: { name: string } }): boolean {
  return info.status.name === 'RUNNING';
}

export interface StartOptions {
  /** Workflow id = campaign id; defaults to the spec's name. */
  campaign?: string;
  /** Queue the campaign workflow runs on; defaults to the spec's cpu queue. */
  taskQueue?: string;
  /** Extra memo (fork provenance is recorded here). */
  memo?: Record<string, unknown>;
  /**
   * Whether the campaign id may be used again: 'reject' (any earlier campaign of that id blocks it: an id owns its
   * artifacts) or 'failed-only' (a failed, cancelled or terminated one may be started again). Default: Temporal's.
   */
  reuse?: 'reject' | 'failed-only';
}

const REUSE_POLICY = {
  reject: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  'failed-only': WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
} as const;

/**
 * Starts a campaign. The spec is validated here first (every problem at once, with field paths) so that a CLI
 * user sees errors before anything starts; the workflow validates again for clients that skip this.
 */
export async function startCampaign(client: Client, spec: CampaignSpec | CampaignSpecInput, options: StartOptions = {}, extra: Omit<CampaignInput, 'spec'> = {}): Promise<WorkflowHandleWithFirstExecutionRunId<typeof preferenceCampaign>> {
  const parsed = parseCampaignSpec(spec);
  const campaign = checkCampaignId(options.campaign ?? parsed.name);
  return client.workflow.start(preferenceCampaign, {
    workflowId: campaign,
    taskQueue: options.taskQueue ?? campaignTaskQueue(parsed),
    args: [{ spec, ...extra }],
    memo: options.memo,
    ...(options.reuse ? { workflowIdReusePolicy: REUSE_POLICY[options.reuse] } : {}),
    typedSearchAttributes: [
      { key: CAMPAIGN, value: campaign },
      { key: ALGORITHM, value: parsed.algorithm },
      { key: ITERATION, value: 0 },
      { key: STATUS, value: 'running' },
    ],
  });
}

/** Starts a campaign without client-side validation: the workflow must reject a bad spec itself. */
export async function startRawCampaign(client: Client, campaign: string, spec: unknown, taskQueue = CampaignSpecSchema.parse({}).execution.taskQueues.cpu) {
  return client.workflow.start(preferenceCampaign, { workflowId: campaign, taskQueue, args: [{ spec }] });
}

export interface CampaignListing {
  campaign: string;
  runId: string;
  algorithm?: string;
  status?: string;
  iteration?: number;
  bestJ?: number;
  /** Temporal's view: RUNNING, COMPLETED, FAILED, ... */
  execution: string;
  startTime: Date;
  closeTime?: Date;
}

/**
 * Campaigns in the namespace, newest first. `query` is Temporal's visibility query over prefloop's search
 * attributes, e.g. `PrefloopAlgorithm = 'rso' AND PrefloopBestJ > 0.5`.
 */
export async function listCampaigns(client: Client, query?: string, options: { limit?: number } = {}): Promise<CampaignListing[]> {
  const base = `WorkflowType = '${CAMPAIGN_WORKFLOW}'`;
  const out: CampaignListing[] = [];
  for await (const info of client.workflow.list({ query: query ? `${base} AND (${query})` : base })) {
    const sa = info.typedSearchAttributes;
    out.push({
      campaign: info.workflowId,
      runId: info.runId,
      algorithm: sa.get(ALGORITHM),
      status: sa.get(STATUS),
      iteration: sa.get(ITERATION),
      bestJ: sa.get(BEST_J),
      execution: info.status.name,
      startTime: info.startTime,
      closeTime: info.closeTime,
    });
    if (options.limit !== undefined && out.length >= options.limit) break;
  }
  return out;
}

export function campaignHandle(client: Client, campaign: string): WorkflowHandle<typeof preferenceCampaign> {
  return client.workflow.getHandle<typeof preferenceCampaign>(campaign);
}

/** The campaign's workflow description; an id that names no campaign is a CampaignNotFoundError saying so. */
export async function describeCampaign(client: Client, campaign: string): Promise<WorkflowExecutionDescription> {
  let info: WorkflowExecutionDescription;
  try {
    info = await campaignHandle(client, campaign).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CampaignNotFoundError(`unknown campaign "${campaign}" in namespace ${client.options.namespace}`);
    throw err;
  }
  if (info.type !== CAMPAIGN_WORKFLOW) throw new CampaignNotFoundError(`"${campaign}" is a ${info.type} workflow, not a prefloop campaign`);
  return info;
}

export const pauseCampaign = (client: Client, campaign: string) => campaignHandle(client, campaign).signal(pauseSignal);
export const resumeCampaign = (client: Client, campaign: string) => campaignHandle(client, campaign).signal(resumeSignal);
export const stopCampaignAfterIteration = (client: Client, campaign: string) => campaignHandle(client, campaign).signal(stopAfterIterationSignal);

/** Cancel: the step in flight stops at its next chunk or optimizer step; the campaign ends as cancelled. */
export const cancelCampaign = async (client: Client, campaign: string): Promise<void> => {
  await campaignHandle(client, campaign).cancel();
};

/** Patch hyper-parameters of a running campaign; rejected (WorkflowUpdateFailedError) with the field path when invalid. */
export async function setHyperparameters(client: Client, campaign: string, patch: Record<string, unknown>): Promise<{ appliesFrom: number }> {
  return campaignHandle(client, campaign).executeUpdate(setHyperparametersUpdate, { args: [patch] });
}

/**
 * The campaign's status with the running iteration's step, stage and sampling progress folded in (the iteration
 * child answers those; the campaign knows iteration, best so far, pause and pending patches). `deadlineMs` bounds each
 * query: a query needs a worker, and without one it would wait for a long server timeout. An iteration that does not
 * answer (it just finished, or is between workers) leaves the campaign's own answer.
 */
export async function campaignStatus(client: Client, campaign: string, options: { deadlineMs?: number } = {}): Promise<CampaignStatus> {
  const bounded = <T>(query: () => Promise<T>) => (options.deadlineMs === undefined ? query() : client.connection.withDeadline(Date.now() + options.deadlineMs, query));
  const status = await bounded(() => campaignHandle(client, campaign).query(statusQuery));
  if (status.step !== 'iteration') return status;
  try {
    const child: IterationStatus = await bounded(() => client.workflow.getHandle(iterationWorkflowId(campaign, status.iteration)).query(iterationStatusQuery));
    return { ...status, step: child.step, stage: child.stage, shardsDone: child.shardsDone, shards: child.shards };
  } catch {
    return status;
  }
}

/** A finished campaign's result with every iteration's record (those of a bounded-state campaign from `store`). */
export async function campaignResult(client: Client, campaign: string, store: ArtifactStore): Promise<CampaignSummary> {
  return summaryOf(campaignHandle(client, campaign), store);
}
