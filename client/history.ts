/**
 * Reading Temporal histories as prefloop steps: each activity's input, result, attempts and times; each child
 * iteration; each accepted hyper-parameter update and control signal. Pure functions of a fetched history.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import { optionalTsToMs } from '@temporalio/common/lib/time';

type HistoryEvent = NonNullable<History['events']>[number];

export function decodePayloads(payloads: { payloads?: Payload[] | null } | null | undefined): unknown[] {
  return (payloads?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p as Payload));
}

const ms = (ev: HistoryEvent | undefined) => (ev ? optionalTsToMs(ev.eventTime) : undefined);
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export interface ActivityExecution {
  activityId: string;
  activityType: string;
  taskQueue: string;
  input: unknown;
  result?: unknown;
  status: 'scheduled' | 'started' | 'completed' | 'failed' | 'timed-out' | 'canceled';
  /** Attempt that finished (or is running); > 1 means earlier attempts failed or timed out. */
  attempt: number;
  /** The last failure before the recorded attempt (a retry), e.g. a heartbeat timeout after a worker crash. */
  lastFailure?: string;
  /** Heartbeat details the retry started from, when the previous attempt timed out. */
  lastHeartbeatDetails?: unknown;
  failure?: string;
  workerIdentity?: string;
  scheduledAt?: number;
  startedAt?: number;
  closedAt?: number;
}

export function activityExecutions(history: History): ActivityExecution[] {
  const byScheduled = new Map<number, ActivityExecution>();
  for (const ev of history.events ?? []) {
    const id = num(ev.eventId);
    const scheduled = ev.activityTaskScheduledEventAttributes;
    if (scheduled) {
      byScheduled.set(id, {
        activityId: scheduled.activityId ?? '',
        activityType: scheduled.activityType?.name ?? '',
        taskQueue: scheduled.taskQueue?.name ?? '',
        input: decodePayloads(scheduled.input)[0],
        status: 'scheduled',
        attempt: 1,
        scheduledAt: ms(ev),
      });
      continue;
    }
    const started = ev.activityTaskStartedEventAttributes;
    if (started) {
      const a = byScheduled.get(num(started.scheduledEventId));
      if (!a) continue;
      a.status = 'started';
      a.attempt = started.attempt ?? 1;
      a.workerIdentity = started.identity ?? undefined;
      a.startedAt = ms(ev);
      if (started.lastFailure) {
        a.lastFailure = started.lastFailure.message ?? undefined;
        const details = started.lastFailure.timeoutFailureInfo?.lastHeartbeatDetails;
        if (details) a.lastHeartbeatDetails = decodePayloads(details)[0];
      }
      continue;
    }
    const done = ev.activityTaskCompletedEventAttributes;
    if (done) {
      const a = byScheduled.get(num(done.scheduledEventId));
      if (a) Object.assign(a, { status: 'completed', result: decodePayloads(done.result)[0], closedAt: ms(ev) });
      continue;
    }
    const failed = ev.activityTaskFailedEventAttributes;
    if (failed) {
      const a = byScheduled.get(num(failed.scheduledEventId));
      if (a) Object.assign(a, { status: 'failed', failure: failed.failure?.message ?? 'failed', closedAt: ms(ev) });
      continue;
    }
    const timedOut = ev.activityTaskTimedOutEventAttributes;
    if (timedOut) {
      const a = byScheduled.get(num(timedOut.scheduledEventId));
      if (a) Object.assign(a, { status: 'timed-out', failure: timedOut.failure?.message ?? 'timed out', closedAt: ms(ev) });
      continue;
    }
    const canceled = ev.activityTaskCanceledEventAttributes;
    if (canceled) {
      const a = byScheduled.get(num(canceled.scheduledEventId));
      if (a) Object.assign(a, { status: 'canceled', closedAt: ms(ev) });
    }
  }
  return [...byScheduled.values()];
}

export interface ChildExecution {
  workflowId: string;
  input: unknown;
  result?: unknown;
  status: 'started' | 'completed' | 'failed' | 'other';
  startedAt?: number;
  closedAt?: number;
}

export function childExecutions(history: History): ChildExecution[] {
  const byId = new Map<string, ChildExecution>();
  for (const ev of history.events ?? []) {
    const init = ev.startChildWorkflowExecutionInitiatedEventAttributes;
    if (init?.workflowId) {
      byId.set(init.workflowId, { workflowId: init.workflowId, input: decodePayloads(init.input)[0], status: 'started', startedAt: ms(ev) });
      continue;
    }
    const completed = ev.childWorkflowExecutionCompletedEventAttributes;
    if (completed?.workflowExecution?.workflowId) {
      const c = byId.get(completed.workflowExecution.workflowId);
      if (c) Object.assign(c, { status: 'completed', result: decodePayloads(completed.result)[0], closedAt: ms(ev) });
      continue;
    }
    const failed = ev.childWorkflowExecutionFailedEventAttributes;
    if (failed?.workflowExecution?.workflowId) {
      const c = byId.get(failed.workflowExecution.workflowId);
      if (c) Object.assign(c, { status: 'failed', closedAt: ms(ev) });
    }
  }
  return [...byId.values()];
}

export interface ControlEvent {
  kind: 'signal' | 'update';
  name: string;
  at?: number;
  args: unknown[];
  /** For updates: what the handler returned (e.g. {appliesFrom}). */
  result?: unknown;
}

export function controlEvents(history: History): ControlEvent[] {
  const out: ControlEvent[] = [];
  const updates = new Map<string, ControlEvent>();
  for (const ev of history.events ?? []) {
    const signaled = ev.workflowExecutionSignaledEventAttributes;
    if (signaled) {
      out.push({ kind: 'signal', name: signaled.signalName ?? '', at: ms(ev), args: decodePayloads(signaled.input) });
      continue;
    }
    const accepted = ev.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) {
      const request = accepted.acceptedRequest;
      const entry: ControlEvent = { kind: 'update', name: request?.input?.name ?? '', at: ms(ev), args: decodePayloads(request?.input?.args) };
      updates.set(request?.meta?.updateId ?? String(ev.eventId), entry);
      out.push(entry);
      continue;
    }
    const completed = ev.workflowExecutionUpdateCompletedEventAttributes;
    if (completed) {
      const entry = updates.get(completed.meta?.updateId ?? '');
      if (entry) entry.result = decodePayloads(completed.outcome?.success)[0];
    }
  }
  return out;
}

/**
 * The result of the first completed local activity of this type (validateSpec, plan), from its marker: the SDK records
 * a local activity as a `core_local_activity` marker whose `data` names the activity type and whose `result` holds
 * what it returned.
 */
export function localActivityResult(history: History, activityType: string): unknown {
  for (const ev of history.events ?? []) {
    const marker = ev.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity' || !marker.details) continue;
    const meta = decodePayloads(marker.details.data)[0] as { activity_type?: string } | undefined;
    if (meta?.activity_type !== activityType) continue;
    const [result] = decodePayloads(marker.details.result);
    if (result !== undefined) return result;
  }
  return undefined;
}

export function workflowInput(history: History): unknown {
  const first = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  return decodePayloads(first?.input)[0];
}

/** Every payload in a history with its size, for the "nothing big crosses Temporal" check. */
export function payloadSizes(history: History): Array<{ eventId: number; eventType: string; bytes: number }> {
  const out: Array<{ eventId: number; eventType: string; bytes: number }> = [];
  const visit = (value: unknown, ev: HistoryEvent) => {
    if (!value || typeof value !== 'object') return;
    if (value instanceof Uint8Array) return;
    const v = value as Record<string, unknown>;
    if (v.data instanceof Uint8Array && v.metadata && typeof v.metadata === 'object') {
      out.push({ eventId: num(ev.eventId), eventType: String(ev.eventType), bytes: v.data.length });
      return;
    }
    for (const child of Object.values(v)) visit(child, ev);
  };
  for (const ev of history.events ?? []) visit(ev, ev);
  return out;
}
