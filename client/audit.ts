/**
 * The audit of a campaign, rebuilt from Temporal (every run of the campaign across continue-as-new, and each
 * iteration's child workflow) and the store (the attempt journal): for each iteration, each step with its
 * input and output refs (uri, sha256, rows), seed stream, hyper-parameters, attempts and durations.
 */
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import type { ArtifactKey, ArtifactRef } from '../schemas/artifacts';
import type { CampaignSpec } from '../schemas/campaign';
import type { EvalMetrics, TrainLog } from '../schemas/results';
import type { ArtifactStore } from '../store/types';
import type { AttemptRecord, StepEnvelope, StepRecord } from '../activities/context';
import { STEP_RECORD_SUFFIX } from '../store/records';
import type { CampaignInput, ForkOrigin, IterationInput, IterationOutput, IterationPlan } from '../workflows/types';
import { activityExecutions, childExecutions, controlEvents, localActivityResult, workflowInput, type ActivityExecution, type ControlEvent } from './history';

const STEP_OF_ACTIVITY: Record<string, string> = {
  setup: 'setup', sampleShard: 'sample', rank: 'rank', filter: 'filter', update: 'update', evaluate: 'evaluate',
};

export interface StepAudit {
  step: string;
  activityId: string;
  /** sampler/shard for sampling, stage for multi-step rejection sampling. */
  label: string;
  status: ActivityExecution['status'];
  /** The step's own input (refs), without the campaign spec that every step receives. */
  input: unknown;
  output: unknown;
  /** Every artifact ref the step read / wrote. */
  reads: ArtifactRef[];
  writes: ArtifactRef[];
  /** Random stream: every draw of the step comes from rngFor(root, iteration, streamId(step), ...ids). */
  seed: { root: number; iteration: number; step: string; ids: number[] };
  attempts: number;
  /** Attempt journal from the store: which cursor each attempt resumed from. */
  journal: AttemptRecord[];
  lastFailure?: string;
  failure?: string;
  /** Refs the step read or wrote whose content `prefloop gc` pruned since: when and why. */
  pruned?: Array<{ uri: string; sha256: string; at: string; reason: string }>;
  worker?: string;
  queueSeconds?: number;
  runSeconds?: number;
}

export interface IterationAudit {
  iteration: number;
  workflowId: string;
  status: string;
  plan?: IterationPlan;
  /** The spec sections in effect for this iteration (after any setHyperparameters patch). */
  hyperparameters: Pick<CampaignSpec, 'update' | 'sampling' | 'pairs' | 'rejectionSampling' | 'reward' | 'budget' | 'reference' | 'seed' | 'evaluation'>;
  steps: StepAudit[];
  checkpoint?: ArtifactRef;
  eval?: EvalMetrics;
  /** The update's final training metrics and the pairs it trained on (this iteration's), once the iteration is done. */
  train?: TrainLog;
  pairs?: number;
  seconds?: number;
}

export interface CampaignAudit {
  campaign: string;
  /** Run ids, oldest first (more than one after continue-as-new). */
  runs: string[];
  spec: unknown;
  fork?: ForkOrigin;
  setup?: StepAudit;
  /** The evaluation of pi0 (iteration 0's evaluate step; absent in a fork, which starts from an evaluated policy). */
  initialEvaluation?: StepAudit;
  iterations: IterationAudit[];
  /** Signals and accepted updates, in order. */
  control: ControlEvent[];
}

function refsIn(value: unknown, out: ArtifactRef[] = []): ArtifactRef[] {
  if (!value || typeof value !== 'object') return out;
  const v = value as Record<string, unknown>;
  if (typeof v.uri === 'string' && typeof v.sha256 === 'string') {
    out.push(v as unknown as ArtifactRef);
    return out;
  }
  for (const child of Object.values(v)) refsIn(child, out);
  return out;
}

type PrunedIndex = Map<string, { at: string; reason: string }>;
const refId = (ref: ArtifactRef) => `${ref.uri}@${ref.sha256}`;

function stepAudit(a: ActivityExecution, journal: AttemptRecord[], prunedIndex: PrunedIndex = new Map()): StepAudit {
  const envelope = a.input as StepEnvelope<Record<string, unknown>> & { spec: CampaignSpec };
  const input = envelope.input;
  const step = STEP_OF_ACTIVITY[a.activityType] ?? a.activityType;
  const i = (input ?? {}) as Record<string, number | undefined>;
  const ids = step === 'sample' ? [i.stage ?? 0, i.sampler ?? 0, i.shard ?? 0] : i.stage !== undefined ? [i.stage] : [];
  // Same labels as the attempt journal (activities/index.ts).
  const label = step === 'sample' ? `sample-sampler${i.sampler ?? 0}-shard${i.shard}of${i.shards}` : step;
  const iteration = envelope.iteration;
  const spec = envelope.spec as CampaignSpec;
  const reads = refsIn(input);
  const writes = refsIn(a.result);
  const pruned = [...reads, ...writes].flatMap((ref) => {
    const p = prunedIndex.get(refId(ref));
    return p ? [{ uri: ref.uri, sha256: ref.sha256, ...p }] : [];
  });
  return {
    step,
    activityId: a.activityId,
    label,
    status: a.status,
    input,
    output: a.result,
    reads,
    writes,
    ...(pruned.length ? { pruned } : {}),
    seed: { root: spec.seed, iteration, step, ids },
    attempts: a.attempt,
    journal: journal.filter((j) => j.label === label).sort((x, y) => x.attempt - y.attempt),
    lastFailure: a.lastFailure,
    failure: a.failure,
    worker: a.workerIdentity,
    queueSeconds: a.startedAt && a.scheduledAt ? (a.startedAt - a.scheduledAt) / 1000 : undefined,
    runSeconds: a.closedAt && a.startedAt ? (a.closedAt - a.startedAt) / 1000 : undefined,
  };
}

/**
 * `fn` over `items`, at most `limit` at a time, results in order. A 1,000-iteration campaign has 1,000 child histories
 * and thousands of journal files: one at a time they take tens of seconds, a few dozen at a time about a second.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

const FETCH_CONCURRENCY = 32;

type JournalEntry = { key: ArtifactKey; ref: ArtifactRef };

/** The attempt journal's files by iteration: attempts started (`<label>-attempt<n>.json`) and finished (StepRecord). */
async function journalFiles(store: ArtifactStore, campaign: string): Promise<Map<number, { started: JournalEntry[]; finished: JournalEntry[] }>> {
  const byIteration = new Map<number, { started: JournalEntry[]; finished: JournalEntry[] }>();
  for (const entry of await store.list(campaign)) {
    if (entry.key.step !== 'attempts') continue;
    let files = byIteration.get(entry.key.iteration);
    if (!files) byIteration.set(entry.key.iteration, files = { started: [], finished: [] });
    (entry.key.name.endsWith(STEP_RECORD_SUFFIX) ? files.finished : files.started).push(entry);
  }
  return byIteration;
}

const readJson = async <T>(store: ArtifactStore, ref: ArtifactRef): Promise<T> => JSON.parse(Buffer.from(await store.get(ref)).toString('utf8')) as T;

/** The journal entries of some iterations, by iteration (the files of all of them read a few dozen at a time). */
async function journalOf(store: ArtifactStore, files: Map<number, { started: JournalEntry[] }>, iterations: number[]): Promise<Map<number, AttemptRecord[]>> {
  const entries = iterations.flatMap((t) => files.get(t)?.started ?? []);
  const records = await mapLimit(entries, FETCH_CONCURRENCY, ({ ref }) => readJson<AttemptRecord>(store, ref));
  const byIteration = new Map<number, AttemptRecord[]>();
  entries.forEach(({ key }, i) => byIteration.set(key.iteration, [...(byIteration.get(key.iteration) ?? []), records[i]]));
  return byIteration;
}

/**
 * An iteration's steps from the store's StepRecords (activities/context.ts), when they say all there is: the iteration
 * completed, each attempt it started finished at its first try, and its plan's every step is there. Then they hold what
 * its Temporal history would (input, output, attempt, times), but the worker's identity; otherwise undefined.
 */
async function stepsFromStore(
  store: ArtifactStore, files: { started: JournalEntry[]; finished: JournalEntry[] } | undefined, input: IterationInput, output: IterationOutput,
): Promise<Array<{ execution: ActivityExecution; attempt: AttemptRecord }> | undefined> {
  if (!files || files.started.length !== files.finished.length) return undefined;
  const samples = output.plan.samplers.length * input.spec.sampling.shards;
  if (files.finished.length !== samples + 4) return undefined;
  const records = await mapLimit(files.finished, FETCH_CONCURRENCY, ({ ref }) => readJson<StepRecord>(store, ref));
  if (records.some((r) => r.attempt !== 1)) return undefined;
  const { campaign, iteration, spec } = input;
  return records
    .sort((a, b) => Number(a.activityId) - Number(b.activityId))
    .map(({ activityId, scheduledAt, finishedAt, input: stepInput, output: stepOutput, ...attempt }) => ({
      execution: {
        activityId, activityType: attempt.activityType, taskQueue: '', input: { campaign, iteration, spec, input: stepInput }, result: stepOutput,
        status: 'completed', attempt: attempt.attempt, scheduledAt, startedAt: Date.parse(attempt.startedAt), closedAt: finishedAt,
      },
      // The attempt's journal entry, which its StepRecord repeats.
      attempt,
    }));
}

export interface AuditOptions {
  /**
   * 'when-needed' (default): an iteration whose every step the store's records describe in full is audited from them;
   * the others (running, failed, retried) from their Temporal history. 'all': every iteration from its history (the
   * worker identities and the server's times of every step).
   */
  childHistories?: 'when-needed' | 'all';
}

/** Every run of a campaign (more than one after continue-as-new), oldest first, with its history. */
export async function campaignRunHistories(client: Client, campaign: string): Promise<Array<{ runId: string; history: History }>> {
  const runs: Array<{ runId: string; start: number }> = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${campaign.replace(/'/g, "\\'")}'` })) {
    runs.push({ runId: info.runId, start: info.startTime.getTime() });
  }
  // Visibility can lag behind a just-started workflow: fall back to the latest run.
  if (runs.length === 0) {
    const d = await client.workflow.getHandle(campaign).describe();
    runs.push({ runId: d.runId, start: d.startTime.getTime() });
  }
  runs.sort((a, b) => a.start - b.start);
  return mapLimit(runs, FETCH_CONCURRENCY, async (r) => ({ runId: r.runId, history: await client.workflow.getHandle(campaign, r.runId).fetchHistory() }));
}

export async function auditCampaign(client: Client, store: ArtifactStore, campaign: string, options: AuditOptions = {}): Promise<CampaignAudit> {
  const [runs, files] = await Promise.all([campaignRunHistories(client, campaign), journalFiles(store, campaign)]);
  const prunedIndex: PrunedIndex = new Map((await store.pruned?.(campaign) ?? []).map((p) => [refId(p.ref), { at: p.at, reason: p.reason }]));
  const first = workflowInput(runs[0].history) as CampaignInput;
  const activities = runs.flatMap((r) => activityExecutions(r.history));
  const children = runs.flatMap((r) => childExecutions(r.history));
  const control = runs.flatMap((r) => controlEvents(r.history));
  const setupActivity = activities.find((a) => a.activityType === 'setup');
  const initialEvaluation = activities.find((a) => a.activityType === 'evaluate');

  // A 1,000-iteration campaign's 1,000 child histories take many seconds to fetch: read from the store what it records.
  const fromStore = await mapLimit(children, FETCH_CONCURRENCY, async (child) => (options.childHistories !== 'all' && child.status === 'completed' && child.result
    ? stepsFromStore(store, files.get((child.input as IterationInput).iteration), child.input as IterationInput, child.result as IterationOutput)
    : undefined));
  const histories = await mapLimit(children, FETCH_CONCURRENCY, async (child, i) => (fromStore[i] ? undefined : client.workflow.getHandle(child.workflowId).fetchHistory()));
  const journal = await journalOf(store, files, [0, ...children.map((c, i) => (fromStore[i] ? -1 : (c.input as IterationInput).iteration)).filter((t) => t > 0)]);
  const iterations: IterationAudit[] = [];
  for (const [i, child] of children.entries()) {
    // Iterations started by earlier versions were handed their plan by the campaign (input.plan).
    const input = child.input as IterationInput & { plan?: IterationPlan };
    const history = histories[i];
    const output = child.result as IterationOutput | undefined;
    const stored = fromStore[i];
    const { update, sampling, pairs, rejectionSampling, reward, budget, reference, seed, evaluation } = input.spec;
    iterations.push({
      iteration: input.iteration,
      workflowId: child.workflowId,
      status: child.status,
      // Planned by the iteration itself (its `plan` local activity), or handed in by the campaign in earlier versions.
      plan: stored ? output!.plan : (localActivityResult(history!, 'plan') as IterationPlan | undefined) ?? input.plan,
      hyperparameters: { update, sampling, pairs, rejectionSampling, reward, budget, reference, seed, evaluation },
      steps: stored
        ? stored.map((step) => stepAudit(step.execution, [step.attempt], prunedIndex))
        : activityExecutions(history!).map((a) => stepAudit(a, journal.get(input.iteration) ?? [], prunedIndex)),
      checkpoint: output?.checkpoint,
      eval: output?.eval,
      train: output?.train,
      pairs: output?.pairCount,
      seconds: output?.seconds,
    });
  }
  iterations.sort((a, b) => a.iteration - b.iteration);
  return {
    campaign,
    runs: runs.map((r) => r.runId),
    spec: first.spec,
    fork: first.fork ? { campaign: first.fork.campaign, iteration: first.fork.iteration, checkpoint: first.fork.checkpoint, patch: first.fork.patch } : undefined,
    setup: setupActivity ? stepAudit(setupActivity, journal.get(0) ?? []) : undefined,
    initialEvaluation: initialEvaluation ? stepAudit(initialEvaluation, journal.get(0) ?? []) : undefined,
    iterations,
    control,
  };
}
