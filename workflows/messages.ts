/**
 * The messages a running campaign understands. Shared by the workflows (handlers) and the client (senders).
 * pause/resume/stopAfterIteration are signals: fire-and-forget, idempotent. setHyperparameters is an update so
 * that a bad patch is rejected synchronously, by its validator, with the field path, and never enters history.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CampaignStatus, IterationStatus } from './types';

/** Hold before the next step (inside an iteration) and before the next iteration. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Finish the iteration in flight, then end the campaign cleanly with its summary. */
export const stopAfterIterationSignal = defineSignal('stopAfterIteration');
/** Patch spec fields (e.g. {"update": {"beta": 0.2}}); applies from the next iteration; returns that iteration. */
export const setHyperparametersUpdate = defineUpdate<{ appliesFrom: number }, [Record<string, unknown>]>('setHyperparameters');
export const statusQuery = defineQuery<CampaignStatus>('status');
export const iterationStatusQuery = defineQuery<IterationStatus>('iterationStatus');
