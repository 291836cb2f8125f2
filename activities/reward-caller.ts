/**
 * The activities' RewardActivityCaller (engine/preference/activity-reward.ts): each call is a `rewardRequest`
 * workflow (workflows/reward-request.ts) started through this worker's client on the campaign's workflow queue, with
 * the call's deterministic id, and awaited here while the step keeps heartbeating. A retried step that finds the
 * request already running waits for it; one that finds it completed reads its answer; a failed one is asked again.
 */
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { RewardActivityCall, RewardActivityCaller } from '../engine/preference/activity-reward';
import { InvalidInputError } from '../engine/errors';

/** workflows/reward-request.ts's workflow type (activities may not import workflows/; a test checks they agree). */
export const REWARD_REQUEST_WORKFLOW = 'rewardRequest';

export function rewardActivityCaller(workflowQueue: string): RewardActivityCaller {
  return async (call: RewardActivityCall) => {
    const { client } = Context.current();
    let handle: WorkflowHandle;
    try {
      handle = await client.workflow.start(REWARD_REQUEST_WORKFLOW, {
        taskQueue: workflowQueue, workflowId: call.id, args: [call],
        // `prefloop status` reads these to say which queue a waiting request waits on (client/reward-requests.ts).
        memo: { taskQueue: call.worker.taskQueue, activity: call.worker.activity, campaign: call.campaign },
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      handle = client.workflow.getHandle(call.id);
    }
    try {
      return await handle.result();
    } catch (err) {
      // The request's own failure (no worker on the queue, the worker's activity failed) is final: the workflow said so.
      if (err instanceof WorkflowFailedError) throw new InvalidInputError(err.cause?.message ?? err.message);
      throw err;
    }
  };
}
