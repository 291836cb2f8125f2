/**
 * One request of an `activity` reward source (engine/preference/activity-reward.ts): runs the user's reward activity
 * on the user's task queue and returns its answer unchecked (the engine checks it). A small workflow of its own,
 * started by the rank or evaluate step through the worker's client, so the request is durable (a retried step finds
 * it by id) and visible in Temporal's UI like every other step.
 *
 * A worker that never picks the request up fails it after scheduleToStartTimeout with a message naming the queue;
 * a worker that fails the activity fails it with the worker's own message. Both are final (non-retryable): a
 * transient fault inside the worker is retried by the activity's retry policy first.
 */
import type { Duration } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, TimeoutFailure, proxyActivities } from '@temporalio/workflow';
import type { RewardActivityCall } from '../engine/preference/activity-reward';
import { REWARD_WORKER_FAILED, REWARD_WORKER_MISSING } from '../schemas/failures';

type RewardActivity = (request: unknown) => Promise<unknown>;

export const REWARD_REQUEST_WORKFLOW = 'rewardRequest';

export async function rewardRequest(call: RewardActivityCall): Promise<unknown> {
  const { taskQueue, activity, scheduleToStartTimeout, startToCloseTimeout } = call.worker;
  const activities = proxyActivities<Record<string, RewardActivity>>({
    taskQueue, scheduleToStartTimeout: scheduleToStartTimeout as Duration, startToCloseTimeout: startToCloseTimeout as Duration,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });
  try {
    return await activities[activity](call.request);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const cause = err.cause;
    if (cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_START') {
      throw ApplicationFailure.nonRetryable(
        `no worker on task queue '${taskQueue}' picked up reward activity '${activity}' within ${scheduleToStartTimeout}; start the reward worker on that queue (examples/reward-worker/) or raise reward.source.scheduleToStartTimeout`,
        REWARD_WORKER_MISSING,
      );
    }
    throw ApplicationFailure.nonRetryable(`reward activity '${activity}' on task queue '${taskQueue}' failed: ${cause?.message ?? err.message}`, REWARD_WORKER_FAILED);
  }
}
