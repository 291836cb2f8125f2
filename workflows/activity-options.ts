/**
 * Where each step runs and how long it may take. The heartbeat timeout is what detects a dead worker: a step on a
 * SIGKILLed worker is retried on another after at most HEARTBEAT; the activities heartbeat every 2 s on their own
 * (activities/context.ts), so a live but busy step is never taken for dead.
 *
 * | step        | task queue | start-to-close | heartbeat | retry                                            |
 * |-------------|------------|----------------|-----------|--------------------------------------------------|
 * | validateSpec| (local)    | 30 s           | -         | 1 s .. 30 s backoff x2, 5 attempts               |
 * | plan        | (local)    | 30 s           | -         | 1 s .. 30 s backoff x2, 5 attempts               |
 * | setup       | training   | 2 h            | 10 s      | 1 s .. 60 s backoff x2, unlimited until timeout  |
 * | sampleShard | inference  | 2 h            | 10 s      | same; resumes from the last finished chunk       |
 * | rank        | inference  | 2 h            | 10 s      | same; a retry finds finished output and returns  |
 * | filter      | cpu        | 30 min         | 10 s      | same                                             |
 * | update      | training   | 12 h           | 10 s      | same; resumes from the last saved optimizer step |
 * | evaluate    | inference  | 2 h            | 10 s      | same                                             |
 *
 * Cancelling a campaign cancels its iteration and the step in flight: the activity learns it on its next heartbeat
 * (at most ~2 s), its StepContext.signal aborts, and the step stops at its next chunk or optimizer step.
 *
 * `validateSpec` and `plan` are pure and take microseconds: they run as local activities on the workflow's own worker
 * (recorded as markers in history, so replay sees the same spec and plan) instead of making a round trip through a
 * task queue. An invalid spec is non-retryable, so it fails the campaign at once.
 *
 * Invalid input (a spec, data or files the engine cannot use), missing and corrupt artifacts, and an execution provider
 * that cannot load with fallback 'none' are non-retryable (schemas/failures.ts): retrying cannot fix them.
 * Unlimited attempts bounded by start-to-close suit pre-emptible machines: a step is retried for as long as the
 * campaign could still use it.
 */
import { ActivityCancellationType, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { CampaignSpec } from '../schemas/campaign';
import { NON_RETRYABLE_ERROR_TYPES } from '../schemas/failures';

export const HEARTBEAT_TIMEOUT = '10s';

const retry = {
  initialInterval: '1s' as const, backoffCoefficient: 2, maximumInterval: '60s' as const, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

export type StepActivity = 'setup' | 'sampleShard' | 'rank' | 'filter' | 'update' | 'evaluate';

/** validateSpec and plan: local activities. */
export const localOptions: LocalActivityOptions = { startToCloseTimeout: '30s', retry: { ...retry, maximumInterval: '30s', maximumAttempts: 5 } };

export function stepOptions(spec: CampaignSpec): Record<StepActivity, ActivityOptions> {
  const q = spec.execution.taskQueues;
  const long = (taskQueue: string, startToCloseTimeout: string): ActivityOptions => ({
    taskQueue, startToCloseTimeout, heartbeatTimeout: HEARTBEAT_TIMEOUT, retry,
    // A cancelled campaign ends only once its compute has stopped (the step saw ctx.signal and returned), so
    // nothing keeps writing to the store behind a campaign that reads as cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  } as ActivityOptions);
  return {
    setup: long(q.training, '2h'),
    sampleShard: long(q.inference, '2h'),
    rank: long(q.inference, '2h'),
    filter: long(q.cpu, '30m'),
    update: long(q.training, '12h'),
    evaluate: long(q.inference, '2h'),
  };
}
