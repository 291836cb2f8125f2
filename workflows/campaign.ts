/**
 * The campaign loop: validate the spec, set up (pi0, prompt pools), then run iterations 1..T as child workflows,
 * recording each one's artifact refs and metrics and tracking the best. Continues-as-new when Temporal suggests it,
 * carrying its state in the argument. Controlled by pause / resume / stopAfterIteration / setHyperparameters
 * (campaign-handlers.ts).
 *
 * Iteration t+1 needs t's policy and pairs, not t's evaluation, so it starts as soon as t has trained (t signals
 * iterationTrained) and t evaluates meanwhile: starting an iteration (child workflow start, its plan and first
 * workflow task) then overlaps compute instead of following it. With one inference slot the evaluation still runs
 * before t+1's sampling; results are those of one iteration after the other. Not done while paused, after
 * stopAfterIteration, or when continue-as-new is due (the campaign continues-as-new with no iteration in flight).
 */
import {
  ActivityFailure, ApplicationFailure, CancellationScope, ContinueAsNew, allHandlersFinished, isCancellation, condition, continueAsNew, proxyActivities,
  startChild, upsertMemo, upsertSearchAttributes, workflowInfo, proxyLocalActivities, patched,
} from '@temporalio/workflow';
import type { CampaignSpec } from '../schemas/campaign';
import type { ArtifactRef } from '../schemas/artifacts';
import type { CampaignSummary, EvalMetrics } from '../schemas/results';
import type { PrefloopActivities } from '../activities';
import { localOptions, stepOptions } from './activity-options';
import { applyDuePatches, registerCampaignHandlers, setStatus } from './campaign-handlers';
import { newCampaignRun, type CampaignRun, type StartedIteration } from './campaign-run';
import { iterationWorkflowId, preferenceIteration } from './iteration';
import { pauseSignal } from './messages';
import { ALGORITHM, BEST_J, CAMPAIGN, ITERATION, STATUS } from './search-attributes';
import type { CampaignInput, CampaignState, SetupRefs } from './types';
import { INVALID_SPEC } from '../schemas/failures';
import { iterationRecord } from '../schemas/iteration-wiring';
import { updateBest } from '../schemas/selection';
import { PATCHES } from './versions';

export { INVALID_PATCH, INVALID_SPEC } from '../schemas/failures';

/**
 * The spec, validated with its defaults filled in, by the `validateSpec` local activity (recorded in history, so
 * replay sees the same spec). An invalid spec fails the campaign at once with every problem and its field path:
 * the activity's non-retryable failure becomes the campaign's own.
 */
async function validatedSpec(raw: unknown): Promise<CampaignSpec> {
  const { validateSpec } = proxyLocalActivities<PrefloopActivities>(localOptions);
  try {
    return await validateSpec(raw);
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === INVALID_SPEC) throw err.cause;
    throw err;
  }
}

function initialState(spec: CampaignSpec, input: CampaignInput): CampaignState {
  const state: CampaignState = {
    spec, next: 1, pairs: [], records: [], labels: 0, changes: [], pending: [], paused: false, stopAfterIteration: false,
  };
  if (input.fork) {
    const { setup, pairs, initial, earlierPairs: _segments, ...origin } = input.fork;
    state.setup = setup;
    state.initial = initial;
    state.policy = origin.checkpoint;
    state.pairs = pairs;
    state.fork = origin;
  }
  return state;
}

export async function preferenceCampaign(input: CampaignInput): Promise<CampaignSummary> {
  const campaign = workflowInfo().workflowId;
  let fresh: CampaignState | undefined;
  if (!input.state) {
    fresh = initialState(await validatedSpec(input.spec), input);
    // Decided once per campaign: one started by an earlier version keeps its records in state (workflows/versions.ts).
    if (patched(PATCHES.boundedRecords)) {
      fresh.completed = 0;
      if (patched(PATCHES.pairsFromStore)) {
        fresh.pairsBase = input.fork?.earlierPairs ?? (fresh.pairs.length ? [{ refs: fresh.pairs }] : []);
        fresh.pairs = [];
      }
    }
  }
  const run = newCampaignRun(campaign, input.state ?? fresh!);
  const { state } = run;
  registerCampaignHandlers(run);
  upsertSearchAttributes([
    { key: CAMPAIGN, value: campaign },
    { key: ALGORITHM, value: state.spec.algorithm },
    { key: ITERATION, value: state.next - 1 },
    { key: STATUS, value: state.paused ? 'paused' : 'running' },
    ...(state.best ? [{ key: BEST_J, value: state.best.J }] : []),
  ]);
  if (state.fork) upsertMemo({ prefloopFork: state.fork });

  try {
    const { setup, initialEvaluation } = await setUp(run);
    const stoppedEarly = await runIterations(run, setup, initialEvaluation);
    run.step = 'idle';
    run.finishing = true;
    setStatus(stoppedEarly ? 'stopped' : 'completed');
    await condition(allHandlersFinished);
    return {
      campaign,
      algorithm: state.spec.algorithm,
      initial: state.initial!,
      // A campaign with bounded state names how many records the store holds; the client reads them (client/summary.ts).
      iterations: state.records,
      ...(state.completed !== undefined ? { recordsInStore: state.completed } : {}),
      bestIteration: state.best?.iteration ?? 0,
      finalCheckpoint: state.policy ?? setup.pi0,
      labels: state.labels,
      stoppedEarly,
    };
  } catch (err) {
    // An iteration started ahead was cancelled too (or terminates with the campaign when it failed): wait for
    // its compute to stop, so nothing writes to the store behind a campaign that reads as cancelled.
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => Promise.allSettled([...run.inFlight.values()].map(({ handle }) => handle.result())));
      setStatus('cancelled');
    } else if (!(err instanceof ContinueAsNew)) setStatus('failed');
    throw err;
  }
}

/** pi0 and the prompt pools (once per campaign), and pi0's evaluation started: iteration 1 needs pi0 only. */
async function setUp(run: CampaignRun): Promise<{ setup: SetupRefs; initialEvaluation?: Promise<EvalMetrics> }> {
  const { state, campaign } = run;
  const options = stepOptions(state.spec);
  if (!state.setup) {
    run.step = 'setup';
    if (state.paused) await condition(() => !state.paused);
    state.setup = await proxyActivities<PrefloopActivities>(options.setup).setup({ campaign, iteration: 0, spec: state.spec, input: {} });
    state.policy = state.setup.pi0;
    state.labels += state.setup.offlineLabels ?? 0;
  }
  const setup = state.setup;
  if (state.initial) return { setup };
  const evaluate = proxyActivities<PrefloopActivities>(options.evaluate).evaluate;
  return { setup, initialEvaluation: evaluate({ campaign, iteration: 0, spec: state.spec, input: { checkpoint: setup.pi0, pi0: setup.pi0 } }) };
}

/**
 * Iterations state.next..T, each started ahead where it can be (startAhead), each recorded as it finishes. Returns
 * whether a stop ended the campaign early; continues-as-new (throws ContinueAsNew) when Temporal suggests it.
 */
async function runIterations(run: CampaignRun, setup: SetupRefs, initialEvaluation: Promise<EvalMetrics> | undefined): Promise<boolean> {
  const { state } = run;
  /** Waits for pi0's evaluation, once started (before anything continues-as-new or ends the campaign). */
  const initialEvaluated = async () => {
    if (initialEvaluation) state.initial = await initialEvaluation;
    initialEvaluation = undefined;
  };
  while (state.next <= state.spec.iterations) {
    const t = state.next;
    let current = run.inFlight.get(t);
    if (!current) {
      run.step = 'idle';
      if (state.paused) await condition(() => !state.paused);
      current = await startIteration(run, setup, t, state.policy ?? setup.pi0);
      if (!current) break;
    }
    // Scheduled before this iteration's sampling, so with one inference slot it is done before sampling starts.
    await initialEvaluated();
    await finishIteration(run, setup, t, current);
    // An iteration already started finishes first, then these apply.
    if (run.inFlight.size) continue;
    if (state.stopAfterIteration && state.next <= state.spec.iterations) {
      await initialEvaluated();
      return true;
    }
    if (continueAsNewDue(run) && state.next <= state.spec.iterations) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof preferenceCampaign>({ spec: state.spec, state });
    }
  }
  await initialEvaluated();
  return false;
}

/** Time to continue-as-new: Temporal suggests it, or this run has done its execution.iterationsPerRun (a patch). */
function continueAsNewDue(run: CampaignRun): boolean {
  if (workflowInfo().continueAsNewSuggested) return true;
  const perRun = run.state.spec.execution.iterationsPerRun;
  // Campaigns whose spec predates the field (undefined) keep continuing only when suggested.
  return perRun !== undefined && run.finishedThisRun >= perRun && patched(PATCHES.periodicContinueAsNew);
}

/**
 * Starts iteration t on `policy` and the pairs so far, with the patches due by then; undefined past the last.
 * Started ahead, t-1 has not been recorded yet: `ahead` is its pairs.
 */
async function startIteration(run: CampaignRun, setup: SetupRefs, t: number, policy: ArtifactRef, ahead?: ArtifactRef): Promise<StartedIteration | undefined> {
  const { state, campaign } = run;
  const recorded = state.next - 1;
  const earlier = state.pairsBase
    // Iterations 1..recorded have written their records (finishIteration awaits it), so the store has their pairs.
    ? { previousPairs: [], earlierPairs: [...state.pairsBase, ...(recorded > 0 ? [{ campaign, through: recorded }] : []), ...(ahead ? [{ refs: [ahead] }] : [])] }
    : { previousPairs: ahead ? [...state.pairs, ahead] : state.pairs };
  applyDuePatches(state, t);
  if (t > state.spec.iterations) return undefined;
  const spec = state.spec;
  run.step = 'iteration';
  const handle = await startChild(preferenceIteration, {
    workflowId: iterationWorkflowId(campaign, t),
    args: [{ campaign, iteration: t, spec, setup, policy, ...earlier, paused: state.paused }],
  });
  const started = { handle, spec };
  run.inFlight.set(t, started);
  if (state.paused) await handle.signal(pauseSignal);
  return started;
}

/**
 * Waits for iteration t; once it has trained (before it evaluates), starts t+1 on its policy and pairs if nothing
 * holds the campaign. Then records t: its record, the policy and pairs carried on, labels, the best so far.
 */
async function finishIteration(run: CampaignRun, setup: SetupRefs, t: number, current: StartedIteration): Promise<void> {
  const { state } = run;
  const result = current.handle.result();
  let finished = false;
  void result.then(() => { finished = true; }, () => { finished = true; });
  // Not cancellable itself: a cancelled campaign cancels its iterations and ends once they have (preferenceCampaign).
  await CancellationScope.nonCancellable(() => condition(() => finished || run.trained.has(t)));
  const notice = run.trained.get(t);
  run.trained.delete(t);
  if (!finished && notice && !state.paused && !state.stopAfterIteration && !continueAsNewDue(run)) {
    await startIteration(run, setup, t + 1, notice.checkpoint, notice.pairs);
  }
  const out = await result;
  run.inFlight.delete(t);
  run.finishedThisRun += 1;
  const record = iterationRecord(out, current.spec);
  if (state.completed === undefined) state.records.push(record);
  else state.completed += 1;
  // Campaigns started before this patch replay without it (workflows/versions.ts). Always true where `completed` is set.
  if (patched(PATCHES.recordsInStore)) await proxyLocalActivities<PrefloopActivities>(localOptions).recordIteration({ campaign: run.campaign, record });
  state.policy = out.checkpoint;
  if (!state.pairsBase) state.pairs = [...state.pairs, out.pairs];
  state.labels += out.labels;
  // The paper keeps the best main-agent policy on a validation set: best J (or evaluation.select) on held-out prompts.
  state.best = updateBest(state.best, t, out.eval, current.spec.evaluation.select);
  state.next = t + 1;
  upsertSearchAttributes([{ key: ITERATION, value: t }, { key: BEST_J, value: state.best.J }]);
}
