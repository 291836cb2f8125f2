/**
 * Turns the current Temporal activity into the engine's StepContext: progress -> heartbeat, heartbeatDetails ->
 * resumeFrom, cancellation -> AbortSignal; and turns failures that no retry can fix into non-retryable ones.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { CampaignSpecSchema, type CampaignSpec } from '../schemas/campaign';
import { SpecError } from '../schemas/spec-error';
import { parseCampaignSpec } from '../schemas/parse';
import { INVALID_INPUT, INVALID_SPEC, NON_RETRYABLE_ERRORS, RESOURCE_LIMIT } from '../schemas/failures';
import type { ComputePlacement } from '../engine/runtime/compute-placement';
import type { InputErrorName } from '../engine/errors';
import type { StepContext } from '../engine/steps/types';
import type { ArtifactStore } from '../store/types';
import { STEP_RECORD_SUFFIX } from '../store/records';
import { rewardActivityCaller } from './reward-caller';

/** Every step activity gets the campaign, the iteration, the (parsed) spec and its own small input. */
export interface StepEnvelope<I> {
  campaign: string;
  iteration: number;
  spec: CampaignSpec;
  input: I;
}


export function formatZodIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/**
 * Each step's envelope schema, built once: zod compiles a schema the first time it parses, which costs ~10x the
 * parse itself, and every activity would otherwise pay it on the way to its step.
 */
const envelopeSchemas = new WeakMap<z.ZodType, z.ZodType>();

function envelopeSchema<I>(inputSchema: z.ZodType<I>): z.ZodType<StepEnvelope<I>> {
  let schema = envelopeSchemas.get(inputSchema);
  if (!schema) {
    schema = z.object({
      campaign: z.string().min(1),
      iteration: z.number().int().nonnegative(),
      spec: CampaignSpecSchema,
      input: inputSchema,
    });
    envelopeSchemas.set(inputSchema, schema);
  }
  return schema as z.ZodType<StepEnvelope<I>>;
}

/** Validates the envelope; a bad one is a non-retryable failure naming every field at fault. */
export function parseEnvelope<I>(step: string, raw: unknown, inputSchema: z.ZodType<I>): StepEnvelope<I> {
  const parsed = envelopeSchema(inputSchema).safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid input to the ${step} step: ${formatZodIssues(parsed.error)}`, INVALID_INPUT);
  }
  return parsed.data;
}

/** The campaign's spec with its defaults; an invalid one is a non-retryable failure listing every problem with its field path. */
export function specOrFailure(raw: unknown): CampaignSpec {
  try {
    return parseCampaignSpec(raw);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    throw ApplicationFailure.create({ type: INVALID_SPEC, nonRetryable: true, message: err.message, details: [err.issues] });
  }
}

/**
 * How often the activity heartbeats on its own, so that a step that reports no progress for a while is not taken
 * for dead (the heartbeat timeout is 10 s; workers flush heartbeats at most once a second).
 */
const KEEPALIVE_MS = 2_000;

/**
 * Runs `fn` with a StepContext bound to the current activity, computing where `deps.compute` says. `label` names this
 * call in the attempt journal (`<campaign>/iter-<t>/attempts/<label>-attempt<n>.json`): which attempt ran where,
 * and from which cursor it resumed, which Temporal's history alone does not keep for intermediate attempts.
 */
export async function runStep<T>(
  deps: { store: ArtifactStore; compute?: ComputePlacement }, envelope: StepEnvelope<unknown>, label: string, fn: (ctx: StepContext) => Promise<T>,
): Promise<T> {
  const { store } = deps;
  const activity = Context.current();
  const resumeFrom: unknown = activity.info.heartbeatDetails;
  // Written alongside the step rather than before it: the journal never delays compute.
  const started = attemptRecord(label, resumeFrom);
  const journaled = journalAttempt(store, envelope, started);
  // The last cursor is re-sent by the keep-alive: heartbeating `undefined` would erase what the next attempt resumes from.
  let cursor: unknown = resumeFrom;
  const keepAlive = setInterval(() => activity.heartbeat(cursor), KEEPALIVE_MS);
  const ctx: StepContext = {
    store,
    spec: envelope.spec,
    campaign: envelope.campaign,
    iteration: envelope.iteration,
    resumeFrom,
    signal: activity.cancellationSignal,
    compute: deps.compute,
    rewardActivity: rewardActivityCaller(envelope.spec.execution.taskQueues.cpu),
    progress: (next) => {
      cursor = next;
      activity.heartbeat(next);
    },
  };
  try {
    // No heartbeat before the step's first progress: the SDK sends the first heartbeat at once and throttles the
    // rest, so the first cursor (the first resumable point) reaches the server without delay.
    const output = await fn(ctx);
    await journaled;
    await recordStep(store, envelope, started, output);
    return output;
  } catch (err) {
    throw classify(err);
  } finally {
    clearInterval(keepAlive);
    await journaled;
  }
}

/** Every engine input error (engine/errors.ts) has its failure type: a new one cannot be left retryable. */
const ENGINE_INPUT_ERRORS: Record<InputErrorName, string> = NON_RETRYABLE_ERRORS;
const FAILURE_OF_ERROR: Readonly<Record<string, string | undefined>> = { ...NON_RETRYABLE_ERRORS, ...ENGINE_INPUT_ERRORS };

/**
 * A RangeError from the engine (an invalid typed-array or array length, a stack overflow) is deterministic: the same
 * input throws it again. "Array buffer allocation failed" is left retryable: it can come from memory that other steps
 * on the worker hold for a while, and the memory estimate (engine/resources) refuses what can never fit.
 */
function isFixedRangeError(err: Error): boolean {
  return err.name === 'RangeError' && !/allocation failed/i.test(err.message);
}

/** Missing/corrupt artifacts and invalid data will fail the same way on every attempt: stop retrying. */
export function classify(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof Error)) return err;
  if (isFixedRangeError(err)) {
    return ApplicationFailure.create({
      message: `${err.message} (a RangeError fails the same way on every attempt: a size in the spec, such as policy.model, is more than this machine can allocate)`,
      type: RESOURCE_LIMIT, nonRetryable: true, cause: err,
    });
  }
  const type = FAILURE_OF_ERROR[err.name] ?? (err instanceof z.ZodError ? INVALID_INPUT : undefined);
  if (!type) return err;
  const message = err instanceof z.ZodError ? formatZodIssues(err) : err.message;
  return ApplicationFailure.create({ message, type, nonRetryable: true, cause: err });
}

export interface AttemptRecord {
  label: string;
  activityType: string;
  attempt: number;
  /** The heartbeat cursor this attempt started from (null: it started from scratch). */
  resumeFrom: unknown;
  startedAt: string;
  workerIdentity?: string;
}

function attemptRecord(label: string, resumeFrom: unknown): AttemptRecord {
  const { info } = Context.current();
  return { label, activityType: info.activityType, attempt: info.attempt, resumeFrom: resumeFrom ?? null, startedAt: new Date().toISOString() };
}

/**
 * What a finished attempt did, beside its journal entry (`<label>-attempt<n>.done.json`): the step's own input and
 * output and when it was scheduled, started and finished. An audit reads these instead of the iteration's Temporal
 * history when every step of the iteration finished at its first attempt (client/audit.ts): a 1,000-iteration campaign
 * then needs no 1,000 history fetches. Times are this worker's clock (scheduledAt the server's, from the activity info).
 */
export interface StepRecord extends AttemptRecord {
  activityId: string;
  scheduledAt: number;
  finishedAt: number;
  input: unknown;
  output: unknown;
}


async function recordStep(store: ArtifactStore, envelope: StepEnvelope<unknown>, started: AttemptRecord, output: unknown): Promise<void> {
  const { info } = Context.current();
  const record: StepRecord = {
    ...started, activityId: info.activityId, scheduledAt: info.currentAttemptScheduledTimestampMs, finishedAt: Date.now(), input: envelope.input, output,
  };
  try {
    const key = { campaign: envelope.campaign, iteration: envelope.iteration, step: 'attempts', name: `${started.label}-attempt${started.attempt}${STEP_RECORD_SUFFIX}` };
    await store.put(key, Buffer.from(JSON.stringify(record)), 'application/json');
  } catch (err) {
    // Like the journal: an audit without it reads Temporal's history instead; the step itself has succeeded.
    Context.current().log.warn('could not record the finished step', { label: started.label, error: String(err) });
  }
}

async function journalAttempt(store: ArtifactStore, envelope: StepEnvelope<unknown>, record: AttemptRecord): Promise<void> {
  const { label } = record;
  try {
    const key = { campaign: envelope.campaign, iteration: envelope.iteration, step: 'attempts', name: `${label}-attempt${record.attempt}.json` };
    await store.put(key, Buffer.from(JSON.stringify(record)), 'application/json');
  } catch (err) {
    // The journal is for audit; a failure to write it must not fail the step it describes.
    Context.current().log.warn('could not journal the attempt', { label, error: String(err) });
  }
}
