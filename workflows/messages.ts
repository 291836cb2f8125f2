/**
 * The messages a running campaign understands. Shared by the workflows (handlers) and the client (senders).
 * pause/resume/stopAfterIteration are signals: fire-and-forget, idempotent. setHyperparameters is an update so
 * that a bad patch is rejected synchronously, by its validator, with the field path, and never enters history.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CampaignStatus, IterationStatus, IterationTrained } from './types';

/** Hold before the next step (inside an iteration) and before the next iteration. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Finish the iterations in flight (at most two, see campaign.ts), then end the campaign cleanly with its summary. */
export const stopAfterIterationSignal = defineSignal('stopAfterIteration');
/** Patch spec fields (e.g. {"update": {"beta": 0.2}}); applies from the next iteration not yet started; returns it. */
export const setHyperparametersUpdate = defineUpdate<{ appliesFrom: number }, [Record<string, unknown>]>('setHyperparameters');
export const statusQuery = defineQuery<CampaignStatus>('status');
/**
 * Sent by an iteration to its campaign once its update has written the new policy, before it evaluates: the
 * campaign can start the next iteration, which needs the policy and pairs but not the evaluation.
 */
export const iterationTrainedSignal = defineSignal<[IterationTrained]>('iterationTrained');
export const iterationStatusQuery = defineQuery<IterationStatus>('iterationStatus');
