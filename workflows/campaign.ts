/**
 * The campaign loop: validate the spec, set up (pi0, prompt pools), then run iterations 1..T as child workflows,
 * recording each one's artifact refs and metrics and tracking the best. Continues-as-new when Temporal suggests it,
 * carrying its state in the argument. Controlled by pause / resume / stopAfterIteration / setHyperparameters.
 */
import {
  ApplicationFailure, ContinueAsNew, allHandlersFinished, isCancellation, condition, continueAsNew, proxyActivities, setHandler,
  startChild, upsertMemo, upsertSearchAttributes, workflowInfo, proxyLocalActivities, type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { CampaignSpecSchema, type CampaignSpec } from '../schemas/campaign';
import type { ArtifactRef } from '../schemas/artifacts';
import type { CampaignSummary, IterationRecord } from '../schemas/results';
import type { PrefloopActivities } from '../activities';
import { stepOptions } from './activity-options';
import { applyHyperparameterPatch } from '../schemas/hyperparameters';
import { SpecError } from '../schemas/spec-error';
import { toSpecIssues } from '../schemas/spec-issues';
import { iterationWorkflowId, preferenceIteration } from './iteration';
import { pauseSignal, resumeSignal, setHyperparametersUpdate, statusQuery, stopAfterIterationSignal } from './messages';
import { ALGORITHM, BEST_J, CAMPAIGN, ITERATION, STATUS } from './search-attributes';
import type { CampaignInput, CampaignState, CampaignStatus, IterationOutput, IterationPlan, StepName } from './types';

export const INVALID_SPEC = 'PrefloopInvalidSpec';
export const INVALID_PATCH = 'PrefloopInvalidHyperparameters';

/** Every problem of the spec at once, each with its field path; the campaign fails at once, without retries. */
export function validateSpec(raw: unknown): CampaignSpec {
  const parsed = CampaignSpecSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const error = new SpecError(toSpecIssues(parsed.error.issues, CampaignSpecSchema, raw));
  throw ApplicationFailure.create({ type: INVALID_SPEC, nonRetryable: true, message: error.message, details: [error.issues] });
}

function initialState(input: CampaignInput): CampaignState {
  const spec = validateSpec(input.spec);
  const state: CampaignState = {
    spec, next: 1, pairs: [], records: [], labels: 0, changes: [], pending: [], paused: false, stopAfterIteration: false,
  };
  if (input.fork) {
    const { setup, pairs, ...origin } = input.fork;
    state.setup = setup;
    state.policy = origin.checkpoint;
    state.pairs = pairs;
    state.fork = origin;
  }
  return state;
}

function iterationRecord(out: IterationOutput, spec: CampaignSpec, plan: IterationPlan): IterationRecord {
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
    hyperparameters: { plan, update: spec.update, reward: spec.reward, pairs: spec.pairs, reference: spec.reference },
  };
}

export async function preferenceCampaign(input: CampaignInput): Promise<CampaignSummary> {
  const campaign = workflowInfo().workflowId;
  const state = input.state ?? initialState(input);
  let step: StepName = 'idle';
  /** Iteration whose child workflow is in flight, if any. */
  let running: number | undefined;

  const setStatus = (status: 'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'cancelled') =>
    upsertSearchAttributes([{ key: STATUS, value: status }]);
  /** The iteration in flight, once started. */
  let child: ChildWorkflowHandle<typeof preferenceIteration> | undefined;
  /** Set once the last iteration has run: patches could no longer apply. */
  let finishing = false;
  const forwardToIteration = (signal: typeof pauseSignal | typeof resumeSignal) => {
    // The child may finish before the signal lands; that is fine, the campaign itself holds too. A pause that
    // arrives before the child has started is re-sent once it has (below).
    child?.signal(signal).catch(() => undefined);
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
  setHandler(setHyperparametersUpdate, (patch) => {
    const appliesFrom = running !== undefined ? running + 1 : state.next;
    state.pending.push({ patch, appliesFrom, acceptedAt: Date.now() });
    return { appliesFrom };
  }, {
    validator: (patch) => {
      if (finishing || state.stopAfterIteration) {
        throw ApplicationFailure.create({ type: INVALID_PATCH, nonRetryable: true, message: 'the campaign runs no further iteration, so the patch would never apply; fork it instead' });
      }
      try {
        applyHyperparameterPatch(specWithPending(state), patch);
      } catch (err) {
        if (!(err instanceof SpecError)) throw err;
        throw ApplicationFailure.create({ type: INVALID_PATCH, nonRetryable: true, message: err.message, details: [err.issues] });
      }
    },
  });
  setHandler(statusQuery, (): CampaignStatus => ({
    campaign,
    algorithm: state.spec.algorithm,
    iterations: state.spec.iterations,
    iteration: running ?? state.next - 1,
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
  const planActivity = proxyLocalActivities<PrefloopActivities>(options.plan).plan;

  try {
    if (!state.setup) {
      step = 'setup';
      await condition(() => !state.paused);
      state.setup = await setupActivity({ campaign, iteration: 0, spec: state.spec, input: {} });
      state.policy = state.setup.pi0;
      state.labels += state.setup.offlineLabels ?? 0;
    }
    const setup = state.setup;
    let stoppedEarly = false;
    while (state.next <= state.spec.iterations) {
      step = 'idle';
      await condition(() => !state.paused);
      const t = state.next;
      applyDuePatches(state, t);
      if (t > state.spec.iterations) break;
      running = t;
      step = 'plan';
      const plan = await planActivity({ spec: state.spec, iteration: t });
      step = 'iteration';
      child = await startChild(preferenceIteration, {
        workflowId: iterationWorkflowId(campaign, t),
        args: [{ campaign, iteration: t, spec: state.spec, setup, policy: state.policy ?? setup.pi0, previousPairs: state.pairs, plan, paused: state.paused }],
      });
      if (state.paused) await child.signal(pauseSignal);
      const out = await child.result();
      child = undefined;
      running = undefined;
      state.records.push(iterationRecord(out, state.spec, plan));
      state.policy = out.checkpoint;
      state.pairs = [...state.pairs, out.pairs];
      state.labels += out.labels;
      // The paper keeps the best main-agent policy on a validation set: best J on the held-out prompts.
      if (!state.best || out.eval.J > state.best.J) state.best = { iteration: t, J: out.eval.J };
      state.next = t + 1;
      upsertSearchAttributes([{ key: ITERATION, value: t }, { key: BEST_J, value: state.best.J }]);
      if (state.stopAfterIteration && state.next <= state.spec.iterations) {
        stoppedEarly = true;
        break;
      }
      if (workflowInfo().continueAsNewSuggested && state.next <= state.spec.iterations) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof preferenceCampaign>({ spec: state.spec, state });
      }
    }
    step = 'idle';
    finishing = true;
    setStatus(stoppedEarly ? 'stopped' : 'completed');
    await condition(allHandlersFinished);
    return {
      campaign,
      algorithm: state.spec.algorithm,
      initial: setup.initialEval,
      iterations: state.records,
      bestIteration: state.best?.iteration ?? 0,
      finalCheckpoint: state.policy ?? setup.pi0,
      labels: state.labels,
      stoppedEarly,
    };
  } catch (err) {
    if (isCancellation(err)) setStatus('cancelled');
    else if (!(err instanceof ContinueAsNew)) setStatus('failed');
    throw err;
  }
}

/** The spec as it will be once every accepted patch applies: the base a new patch is validated against. */
function specWithPending(state: CampaignState): CampaignSpec {
  return state.pending.reduce((spec, change) => applyHyperparameterPatch(spec, change.patch), state.spec);
}

function applyDuePatches(state: CampaignState, iteration: number): void {
  const due = state.pending.filter((c) => c.appliesFrom <= iteration);
  if (!due.length) return;
  for (const change of due) state.spec = applyHyperparameterPatch(state.spec, change.patch);
  state.changes.push(...due);
  state.pending = state.pending.filter((c) => c.appliesFrom > iteration);
}
