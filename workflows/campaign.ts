/**
 * The campaign loop: validate the spec, set up (pi0, prompt pools), then run iterations 1..T as child workflows,
 * recording each one's artifact refs and metrics and tracking the best. Continues-as-new when Temporal suggests it,
 * carrying its state in the argument. Controlled by pause / resume / stopAfterIteration / setHyperparameters.
 *
 * Iteration t+1 needs t's policy and pairs, not t's evaluation, so it starts as soon as t has trained (t signals
 * iterationTrained) and t evaluates meanwhile: starting an iteration (child workflow start, its plan and first
 * workflow task) then overlaps compute instead of following it. With one inference slot the evaluation still runs
 * before t+1's sampling; results are those of one iteration after the other. Not done while paused, after
 * stopAfterIteration, or when continue-as-new is due (the campaign continues-as-new with no iteration in flight).
 */
import {
  ActivityFailure, ApplicationFailure, CancellationScope, ContinueAsNew, allHandlersFinished, isCancellation, condition, continueAsNew, proxyActivities, setHandler,
  startChild, upsertMemo, upsertSearchAttributes, workflowInfo, proxyLocalActivities, patched, type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { CampaignSpec } from '../schemas/campaign';
import type { ArtifactRef } from '../schemas/artifacts';
import type { CampaignSummary, EvalMetrics, IterationRecord } from '../schemas/results';
import type { PrefloopActivities } from '../activities';
import { localOptions, stepOptions } from './activity-options';
import { iterationWorkflowId, preferenceIteration } from './iteration';
import { iterationTrainedSignal, pauseSignal, resumeSignal, setHyperparametersUpdate, statusQuery, stopAfterIterationSignal } from './messages';
import { ALGORITHM, BEST_J, CAMPAIGN, ITERATION, STATUS } from './search-attributes';
import type { CampaignInput, CampaignState, CampaignStatus, IterationOutput, IterationTrained, StepName } from './types';
import { INVALID_PATCH, INVALID_SPEC } from '../schemas/failures';
import { updateBest } from '../schemas/selection';
import { PATCHES } from './versions';

export { INVALID_PATCH, INVALID_SPEC } from '../schemas/failures';

/** workflows/spec-checks.ts, evaluated on first use (see there why it is not imported). */
function specChecks(): typeof import('./spec-checks') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./spec-checks');
}

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
    const { setup, pairs, initial, ...origin } = input.fork;
    state.setup = setup;
    state.initial = initial;
    state.policy = origin.checkpoint;
    state.pairs = pairs;
    state.fork = origin;
  }
  return state;
}

function iterationRecord(out: IterationOutput, spec: CampaignSpec): IterationRecord {
  const artifacts: Record<string, ArtifactRef> = {};
  artifacts.scored = out.scored;
  artifacts.pairs = out.pairs;
  artifacts.checkpoint = out.checkpoint;
  artifacts.log = out.trainLog;
  out.samples.forEach((ref, i) => { artifacts[`samples${i}`] = ref; });
  return {
    iteration: out.iteration,
    artifacts,
    train: out.train,
    eval: out.eval,
    labels: out.labels,
    pairs: out.pairCount,
    seconds: out.seconds,
    // What decides this iteration's update; the full spec in effect is in the iteration's input (see the audit).
    // Kept small: every record is carried across continue-as-new and returned in the summary.
    hyperparameters: { plan: out.plan, update: spec.update, reward: spec.reward, pairs: spec.pairs, reference: spec.reference },
  };
}

/** A started iteration: its child workflow, and the spec it was started with (what its record keeps). */
interface StartedIteration {
  handle: ChildWorkflowHandle<typeof preferenceIteration>;
  spec: CampaignSpec;
}

export async function preferenceCampaign(input: CampaignInput): Promise<CampaignSummary> {
  const campaign = workflowInfo().workflowId;
  const state = input.state ?? initialState(await validatedSpec(input.spec), input);
  let step: StepName = 'idle';
  /** Iterations whose child workflows are in flight (at most two: one evaluating, the next one started). */
  const inFlight = new Map<number, StartedIteration>();
  /** The newest iteration in flight, if any: what status reports and what a patch applies after. */
  const running = (): number | undefined => (inFlight.size ? Math.max(...inFlight.keys()) : undefined);
  const trained = new Map<number, IterationTrained>();

  const setStatus = (status: 'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'cancelled') =>
    upsertSearchAttributes([{ key: STATUS, value: status }]);
  /** Set once the last iteration has run: patches could no longer apply. */
  let finishing = false;
  const forwardToIteration = (signal: typeof pauseSignal | typeof resumeSignal) => {
    // A child may finish before the signal lands; that is fine, the campaign itself holds too. A pause that
    // arrives before a child has started is re-sent once it has (startIteration).
    for (const { handle } of inFlight.values()) handle.signal(signal).catch(() => undefined);
  };

  setHandler(pauseSignal, () => {
    state.paused = true;
    setStatus('paused');
    forwardToIteration(pauseSignal);
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
    setStatus('running');
    forwardToIteration(resumeSignal);
  });
  setHandler(stopAfterIterationSignal, () => { state.stopAfterIteration = true; });
  setHandler(iterationTrainedSignal, (notice) => { trained.set(notice.iteration, notice); });
  setHandler(setHyperparametersUpdate, (patch) => {
    const newest = running();
    const appliesFrom = newest !== undefined ? newest + 1 : state.next;
    state.pending.push({ patch, appliesFrom, acceptedAt: Date.now() });
    return { appliesFrom };
  }, {
    validator: (patch) => {
      if (finishing || state.stopAfterIteration) {
        throw ApplicationFailure.create({ type: INVALID_PATCH, nonRetryable: true, message: 'the campaign runs no further iteration, so the patch would never apply; fork it instead' });
      }
      specChecks().patchedSpec(specWithPending(state), patch);
    },
  });
  setHandler(statusQuery, (): CampaignStatus => ({
    campaign,
    algorithm: state.spec.algorithm,
    iterations: state.spec.iterations,
    iteration: running() ?? state.next - 1,
    step,
    shardsDone: 0,
    shards: 0,
    paused: state.paused,
    stopAfterIteration: state.stopAfterIteration,
    best: state.best,
    completed: state.records.length,
    changes: state.changes,
    pending: state.pending,
    fork: state.fork,
  }));

  upsertSearchAttributes([
    { key: CAMPAIGN, value: campaign },
    { key: ALGORITHM, value: state.spec.algorithm },
    { key: ITERATION, value: state.next - 1 },
    { key: STATUS, value: state.paused ? 'paused' : 'running' },
    ...(state.best ? [{ key: BEST_J, value: state.best.J }] : []),
  ]);
  if (state.fork) upsertMemo({ prefloopFork: state.fork });

  const options = stepOptions(state.spec);
  const setupActivity = proxyActivities<PrefloopActivities>(options.setup).setup;
  const evaluateActivity = proxyActivities<PrefloopActivities>(options.evaluate).evaluate;
  const { recordIteration } = proxyLocalActivities<PrefloopActivities>(localOptions);
  /** pi0's evaluation (iteration 0), while iteration 1 starts: it needs pi0 only. */
  let initialEvaluation: Promise<EvalMetrics> | undefined;

  try {
    if (!state.setup) {
      step = 'setup';
      if (state.paused) await condition(() => !state.paused);
      state.setup = await setupActivity({ campaign, iteration: 0, spec: state.spec, input: {} });
      state.policy = state.setup.pi0;
      state.labels += state.setup.offlineLabels ?? 0;
    }
    const setup = state.setup;
    if (!state.initial) initialEvaluation = evaluateActivity({ campaign, iteration: 0, spec: state.spec, input: { checkpoint: setup.pi0, pi0: setup.pi0 } });
    /** Waits for pi0's evaluation, once started (before anything continues-as-new or ends the campaign). */
    const initialEvaluated = async () => {
      if (initialEvaluation) state.initial = await initialEvaluation;
      initialEvaluation = undefined;
    };
    /** Starts iteration t on `policy` and `previousPairs`, with the patches due by then; undefined past the last. */
    const startIteration = async (t: number, policy: ArtifactRef, previousPairs: ArtifactRef[]): Promise<StartedIteration | undefined> => {
      applyDuePatches(state, t);
      if (t > state.spec.iterations) return undefined;
      const spec = state.spec;
      step = 'iteration';
      const handle = await startChild(preferenceIteration, {
        workflowId: iterationWorkflowId(campaign, t),
        args: [{ campaign, iteration: t, spec, setup, policy, previousPairs, paused: state.paused }],
      });
      const started = { handle, spec };
      inFlight.set(t, started);
      if (state.paused) await handle.signal(pauseSignal);
      return started;
    };
    let stoppedEarly = false;
    while (state.next <= state.spec.iterations) {
      const t = state.next;
      let current = inFlight.get(t);
      if (!current) {
        step = 'idle';
        if (state.paused) await condition(() => !state.paused);
        current = await startIteration(t, state.policy ?? setup.pi0, state.pairs);
        if (!current) break;
      }
      // Scheduled before this iteration's sampling, so with one inference slot it is done before sampling starts.
      await initialEvaluated();
      const result = current.handle.result();
      let finished = false;
      void result.then(() => { finished = true; }, () => { finished = true; });
      // Not cancellable itself: a cancelled campaign cancels its iterations and ends once they have (below).
      await CancellationScope.nonCancellable(() => condition(() => finished || trained.has(t)));
      const notice = trained.get(t);
      trained.delete(t);
      if (!finished && notice && !state.paused && !state.stopAfterIteration && !workflowInfo().continueAsNewSuggested) {
        await startIteration(t + 1, notice.checkpoint, [...state.pairs, notice.pairs]);
      }
      const out = await result;
      inFlight.delete(t);
      const record = iterationRecord(out, current.spec);
      state.records.push(record);
      // Campaigns started before this patch replay without it (workflows/versions.ts).
      if (patched(PATCHES.recordsInStore)) await recordIteration({ campaign, record });
      state.policy = out.checkpoint;
      state.pairs = [...state.pairs, out.pairs];
      state.labels += out.labels;
      // The paper keeps the best main-agent policy on a validation set: best J (or evaluation.select) on held-out prompts.
      state.best = updateBest(state.best, t, out.eval, current.spec.evaluation.select);
      state.next = t + 1;
      upsertSearchAttributes([{ key: ITERATION, value: t }, { key: BEST_J, value: state.best.J }]);
      // An iteration already started finishes first, then these apply.
      if (inFlight.size) continue;
      if (state.stopAfterIteration && state.next <= state.spec.iterations) {
        stoppedEarly = true;
        break;
      }
      if (workflowInfo().continueAsNewSuggested && state.next <= state.spec.iterations) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof preferenceCampaign>({ spec: state.spec, state });
      }
    }
    await initialEvaluated();
    step = 'idle';
    finishing = true;
    setStatus(stoppedEarly ? 'stopped' : 'completed');
    await condition(allHandlersFinished);
    return {
      campaign,
      algorithm: state.spec.algorithm,
      initial: state.initial!,
      iterations: state.records,
      bestIteration: state.best?.iteration ?? 0,
      finalCheckpoint: state.policy ?? setup.pi0,
      labels: state.labels,
      stoppedEarly,
    };
  } catch (err) {
    // An iteration started ahead was cancelled too (or terminates with the campaign when it failed): wait for
    // its compute to stop, so nothing writes to the store behind a campaign that reads as cancelled.
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => Promise.allSettled([...inFlight.values()].map(({ handle }) => handle.result())));
      setStatus('cancelled');
    } else if (!(err instanceof ContinueAsNew)) setStatus('failed');
    throw err;
  }
}

/** The spec as it will be once every accepted patch applies: the base a new patch is validated against. */
function specWithPending(state: CampaignState): CampaignSpec {
  return state.pending.reduce((spec, change) => specChecks().patchedSpec(spec, change.patch), state.spec);
}

function applyDuePatches(state: CampaignState, iteration: number): void {
  const due = state.pending.filter((c) => c.appliesFrom <= iteration);
  if (!due.length) return;
  for (const change of due) state.spec = specChecks().patchedSpec(state.spec, change.patch);
  state.changes.push(...due);
  state.pending = state.pending.filter((c) => c.appliesFrom > iteration);
}
