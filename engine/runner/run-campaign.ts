/**
 * The in-process runner: a whole campaign, step by step, with the same plans and step functions the Temporal
 * workflows use, in the order the workflow runs them. Used by tests and the fidelity benchmark.
 */
import { MEDIA_TYPES, type ArtifactRef } from '../../schemas/artifacts';
import type { CampaignSpec, CampaignSpecInput } from '../../schemas/campaign';
import { parseCampaignSpec } from '../../schemas/parse';
import type { CampaignSummary, IterationRecord } from '../../schemas/results';
import { betterThan } from '../../schemas/selection';
import type { ArtifactStore } from '../../store/types';
import { iterationPlan } from '../plans/plan';
import type { IterationPlan } from '../plans/types';
import { evaluate, filter, rank, sampleShard, setup, update } from '../steps';
import type { StepContext } from '../steps/types';
import { InvalidInputError } from '../errors';
import { ACTIVITY_NEEDS_WORKERS } from '../preference/activity-reward';

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

/**
 * Steps return finished outputs found in the store, so re-running a campaign id with a different spec would
 * silently mix the two. The runner records the spec at the first run and refuses a different one.
 */
async function checkSameSpec(store: ArtifactStore, campaign: string, spec: CampaignSpec): Promise<void> {
  const key = { campaign, iteration: 0, step: 'setup', name: 'spec.json' };
  const text = JSON.stringify(spec);
  const found = await store.find(key);
  if (found) {
    if (new TextDecoder().decode(await store.get(found)) !== text) {
      throw new InvalidInputError(`campaign '${campaign}' already exists in ${store.root} with a different spec; give this run another campaign name (spec.name or options.campaign)`);
    }
    return;
  }
  await store.put(key, new TextEncoder().encode(text), MEDIA_TYPES.json);
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
    const plan: IterationPlan = iterationPlan(spec, t);
    const samples: ArtifactRef[] = [];
    for (let s = 0; s < plan.samplers.length; s++) {
      const policy = plan.samplers[s].policy === 'current' ? current : pi0;
      for (let shard = 0; shard < spec.sampling.shards; shard++) {
        samples.push((await sampleShard(ctx, { policy, prompts: initial.trainPrompts, shard, shards: spec.sampling.shards, stage: plan.stage, sampler: s })).samples);
      }
    }
    const ranked = await rank(ctx, { samples, stage: plan.stage });
    const filtered = await filter(ctx, { scored: ranked.scored, stage: plan.stage });
    const data = [
      ...(plan.update.includeOffline && initial.offlinePairs ? [initial.offlinePairs] : []),
      ...(plan.update.data === 'accumulate' ? pairsSoFar : []),
      filtered.pairs,
    ];
    pairsSoFar.push(filtered.pairs);
    const updated = await update(ctx, {
      policy: plan.update.init === 'previous' ? current : pi0,
      reference: plan.update.reference === 'previous' ? current : pi0,
      pairs: data,
      stage: plan.stage,
    });
    const metrics = await evaluate(ctx, { checkpoint: updated.checkpoint, pi0 });
    current = updated.checkpoint;
    labels += ranked.labels + filtered.labels;
    const record: IterationRecord = {
      iteration: t,
      artifacts: { scored: ranked.scored, pairs: filtered.pairs, checkpoint: updated.checkpoint, log: updated.log, ...Object.fromEntries(samples.map((r, i) => [`samples${i}`, r])) },
      train: updated.train,
      eval: metrics,
      labels: ranked.labels + filtered.labels,
      pairs: filtered.count,
      seconds: (Date.now() - started) / 1000,
      hyperparameters: { plan, update: spec.update, reward: spec.reward, pairs: spec.pairs },
    };
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
