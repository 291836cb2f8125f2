/**
 * The campaign's message handlers: pause / resume (forwarded to the iterations in flight), stopAfterIteration,
 * iterationTrained (the pipelining's notice), setHyperparameters (validated against the spec as every accepted patch
 * will leave it; applied when the iteration it names starts), and the status query.
 */
import { ApplicationFailure, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { CampaignSpec } from '../schemas/campaign';
import { INVALID_PATCH } from '../schemas/failures';
import type { CampaignRun } from './campaign-run';
import { iterationTrainedSignal, pauseSignal, resumeSignal, setHyperparametersUpdate, statusQuery, stopAfterIterationSignal } from './messages';
import { STATUS } from './search-attributes';
import type { CampaignState, CampaignStatus } from './types';

/** workflows/spec-checks.ts, evaluated on first use (see there why it is not imported). */
function specChecks(): typeof import('./spec-checks') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./spec-checks');
}

export type CampaignStatusName = 'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'cancelled';

export function setStatus(status: CampaignStatusName): void {
  upsertSearchAttributes([{ key: STATUS, value: status }]);
}

export function registerCampaignHandlers(run: CampaignRun): void {
  const { state } = run;
  const forwardToIterations = (signal: typeof pauseSignal | typeof resumeSignal) => {
    // A child may finish before the signal lands; that is fine, the campaign itself holds too. A pause that
    // arrives before a child has started is re-sent once it has (startIteration).
    for (const { handle } of run.inFlight.values()) handle.signal(signal).catch(() => undefined);
  };
  setHandler(pauseSignal, () => {
    state.paused = true;
    setStatus('paused');
    forwardToIterations(pauseSignal);
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
    setStatus('running');
    forwardToIterations(resumeSignal);
  });
  setHandler(stopAfterIterationSignal, () => { state.stopAfterIteration = true; });
  setHandler(iterationTrainedSignal, (notice) => { run.trained.set(notice.iteration, notice); });
  setHandler(setHyperparametersUpdate, (patch) => {
    const newest = run.newestInFlight();
    const appliesFrom = newest !== undefined ? newest + 1 : state.next;
    state.pending.push({ patch, appliesFrom, acceptedAt: Date.now() });
    return { appliesFrom };
  }, {
    validator: (patch) => {
      if (run.finishing || state.stopAfterIteration) {
        throw ApplicationFailure.create({ type: INVALID_PATCH, nonRetryable: true, message: 'the campaign runs no further iteration, so the patch would never apply; fork it instead' });
      }
      specChecks().patchedSpec(specWithPending(state), patch);
    },
  });
  // The running iteration's step and shard progress are its own (iterationStatus): client/campaigns.ts campaignStatus
  // folds them in, as a workflow cannot query its children.
  setHandler(statusQuery, (): CampaignStatus => ({
    campaign: run.campaign,
    algorithm: state.spec.algorithm,
    iterations: state.spec.iterations,
    iteration: run.newestInFlight() ?? state.next - 1,
    step: run.step,
    paused: state.paused,
    stopAfterIteration: state.stopAfterIteration,
    best: state.best,
    completed: state.completed ?? state.records.length,
    changes: state.changes,
    pending: state.pending,
    fork: state.fork,
  }));
}

/** The spec as it will be once every accepted patch applies: the base a new patch is validated against. */
function specWithPending(state: CampaignState): CampaignSpec {
  return state.pending.reduce((spec, change) => specChecks().patchedSpec(spec, change.patch), state.spec);
}

/** Applies the patches due by `iteration` to the spec it starts with, and records them as changes. */
export function applyDuePatches(state: CampaignState, iteration: number): void {
  const due = state.pending.filter((c) => c.appliesFrom <= iteration);
  if (!due.length) return;
  for (const change of due) state.spec = specChecks().patchedSpec(state.spec, change.patch);
  state.changes.push(...due);
  state.pending = state.pending.filter((c) => c.appliesFrom > iteration);
}
