/**
 * The in-process runner: a whole campaign, step by step, with the same plans, step functions and wiring
 * (schemas/iteration-wiring.ts) the Temporal workflows use, in the order the workflow runs them. Used by tests and the fidelity benchmark.
 */
import type { ArtifactRef } from '../../schemas/artifacts';
import type { CampaignSpec, CampaignSpecInput } from '../../schemas/campaign';
import { parseCampaignSpec } from '../../schemas/parse';
import type { CampaignSummary, IterationRecord } from '../../schemas/results';
import { betterThan } from '../../schemas/selection';
import type { ArtifactStore } from '../../store/types';
import { iterationPlan } from '../plans/plan';
import { iterationRecord, sampleShardCalls, updateCall, type IterationStart } from '../../schemas/iteration-wiring';
import { evaluate, filter, rank, sampleShard, setup, update } from '../steps';
import type { StepContext } from '../steps/types';
import { InvalidInputError } from '../errors';
import { ACTIVITY_NEEDS_WORKERS } from '../preference/activity-reward';
import { checkSameSpec } from './same-spec';

export interface RunOptions {
  store: ArtifactStore;
  /** Campaign id; defaults to the spec's name. */
  campaign?: string;
  /** Called after each iteration (progress display). */
  onIteration?: (record: IterationRecord) => void;
  /** Forwarded to every step (tests use it to interrupt and resume an update). */
  progress?: (cursor: unknown) => void;
  resumeFrom?: unknown;
  signal?: AbortSignal;
}

export async function runCampaign(specInput: CampaignSpec | CampaignSpecInput, options: RunOptions): Promise<CampaignSummary> {
  const spec = parseCampaignSpec(specInput);
  // Refused before any compute: the runner has no Temporal client to reach a reward worker with.
  if (spec.reward.source.kind === 'activity') throw new InvalidInputError(ACTIVITY_NEEDS_WORKERS);
  const campaign = options.campaign ?? spec.name;
  const ctxFor = (iteration: number): StepContext => ({
    store: options.store, spec, campaign, iteration, progress: options.progress, resumeFrom: options.resumeFrom, signal: options.signal,
  });
  await checkSameSpec(options.store, campaign, spec);
  const initial = await setup(ctxFor(0));
  const pi0 = initial.pi0;
  const initialEval = await evaluate(ctxFor(0), { checkpoint: pi0, pi0 });
  let current = pi0;
  const pairsSoFar: ArtifactRef[] = [];
  const records: IterationRecord[] = [];
  let labels = initial.offlineLabels ?? 0;

  for (let t = 1; t <= spec.iterations; t++) {
    const started = Date.now();
    const ctx = ctxFor(t);
    const plan = iterationPlan(spec, t);
    const from: IterationStart = { pi0, policy: current, trainPrompts: initial.trainPrompts, offlinePairs: initial.offlinePairs, previousPairs: [...pairsSoFar] };
    const samples: ArtifactRef[] = [];
    for (const call of sampleShardCalls(plan, spec.sampling.shards, from)) samples.push((await sampleShard(ctx, call)).samples);
    const ranked = await rank(ctx, { samples });
    const filtered = await filter(ctx, { scored: ranked.scored });
    const updated = await update(ctx, updateCall(plan, from, filtered.pairs));
    const metrics = await evaluate(ctx, { checkpoint: updated.checkpoint, pi0 });
    pairsSoFar.push(filtered.pairs);
    current = updated.checkpoint;
    labels += ranked.labels + filtered.labels;
    const record = iterationRecord({
      iteration: t, plan, samples, scored: ranked.scored, pairs: filtered.pairs, checkpoint: updated.checkpoint, trainLog: updated.log,
      train: updated.train, eval: metrics, labels: ranked.labels + filtered.labels, pairCount: filtered.count, seconds: (Date.now() - started) / 1000,
    }, spec);
    records.push(record);
    options.onIteration?.(record);
  }
  // The paper keeps the best main-agent policy on a validation set: best J (or evaluation.select) on held-out prompts.
  const best = records.reduce((b, r) => (betterThan(r.eval, b.eval, spec.evaluation.select) ? r : b), records[0]);
  return {
    campaign, algorithm: spec.algorithm, initial: initialEval, iterations: records,
    bestIteration: best.iteration, finalCheckpoint: current, labels, stoppedEarly: false,
  };
}
