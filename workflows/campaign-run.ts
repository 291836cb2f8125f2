/** What one run of the campaign workflow holds besides its carried state: the iterations in flight and their notices. */
import type { ChildWorkflowHandle } from '@temporalio/workflow';
import type { CampaignSpec } from '../schemas/campaign';
import type { preferenceIteration } from './iteration';
import type { CampaignState, IterationTrained, StepName } from './types';

/** A started iteration: its child workflow, and the spec it was started with (what its record keeps). */
export interface StartedIteration {
  handle: ChildWorkflowHandle<typeof preferenceIteration>;
  spec: CampaignSpec;
}

export interface CampaignRun {
  readonly campaign: string;
  /** Carried across continue-as-new. */
  readonly state: CampaignState;
  /** What the campaign itself is doing (a running iteration's own step is in its status). */
  step: StepName;
  /** Iterations whose child workflows are in flight (at most two: one evaluating, the next one started). */
  readonly inFlight: Map<number, StartedIteration>;
  /** iterationTrained notices not yet acted on, by iteration. */
  readonly trained: Map<number, IterationTrained>;
  /** Set once the last iteration has run: patches could no longer apply. */
  finishing: boolean;
  /** Iterations finished in this workflow run (not carried across continue-as-new). */
  finishedThisRun: number;
  /** The newest iteration in flight, if any: what status reports and what a patch applies after. */
  newestInFlight(): number | undefined;
}

export function newCampaignRun(campaign: string, state: CampaignState): CampaignRun {
  const inFlight = new Map<number, StartedIteration>();
  return {
    campaign, state, step: 'idle', inFlight, trained: new Map(), finishing: false, finishedThisRun: 0,
    newestInFlight: () => (inFlight.size ? Math.max(...inFlight.keys()) : undefined),
  };
}
