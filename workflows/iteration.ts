/**
 * One iteration of a campaign as a child workflow (`<campaign>/iter-<t>`), following its plan (engine/plans, from the
 * `plan` local activity: computed here rather than by the campaign, so that the campaign's workflow task that schedules
 * pi0's evaluation or starts this iteration holds no local activity and completes at once):
 * sample (shards in parallel on the inference queue) -> rank -> filter -> update (training queue) -> evaluate, wired
 * as the in-process runner wires them (schemas/iteration-wiring.ts).
 * Pause holds before the next step; the step in flight finishes. Once trained, it tells its campaign
 * (iterationTrainedSignal), which may start the next iteration while this one evaluates.
 */
import { CancellationScope, condition, getExternalWorkflowHandle, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PrefloopActivities } from '../activities';
import { localOptions, stepOptions } from './activity-options';
import { iterationStatusQuery, iterationTrainedSignal, pauseSignal, resumeSignal } from './messages';
import { sampleShardCalls, updateCall, type IterationStart } from '../schemas/iteration-wiring';
import type { IterationInput, IterationOutput, IterationStatus, StepName } from './types';

export interface IterationWorkflowInput extends IterationInput {
  /** The campaign was paused when this iteration was started. */
  paused?: boolean;
}

export async function preferenceIteration(input: IterationWorkflowInput): Promise<IterationOutput> {
  const started = Date.now();
  const { spec, setup, campaign, iteration } = input;
  const options = stepOptions(spec);
  const acts = {
    sampleShard: proxyActivities<PrefloopActivities>(options.sampleShard).sampleShard,
    rank: proxyActivities<PrefloopActivities>(options.rank).rank,
    filter: proxyActivities<PrefloopActivities>(options.filter).filter,
    update: proxyActivities<PrefloopActivities>(options.update).update,
    evaluate: proxyActivities<PrefloopActivities>(options.evaluate).evaluate,
  };
  const envelope = <I>(stepInput: I) => ({ campaign, iteration, spec, input: stepInput });

  let paused = input.paused ?? false;
  const status: IterationStatus = { iteration, step: 'idle', shardsDone: 0, shards: 0 };
  setHandler(pauseSignal, () => { paused = true; });
  setHandler(resumeSignal, () => { paused = false; });
  setHandler(iterationStatusQuery, () => ({ ...status, paused }));

  const enter = async (step: StepName, stage?: number) => {
    // Guarded: an unpaused step does not wait a workflow-activation turn for a condition that already holds.
    if (paused) await condition(() => !paused);
    status.step = step;
    status.stage = stage;
  };

  status.step = 'plan';
  const plan = await proxyLocalActivities<PrefloopActivities>(localOptions).plan({ spec, iteration });
  const stage = plan.stage;

  await enter('sample', stage);
  // Read only when the update trains on them: a campaign with pairsFromStore says where they are, not what they are.
  const previousPairs = input.earlierPairs && plan.update.data === 'accumulate'
    ? await proxyLocalActivities<PrefloopActivities>(localOptions).earlierPairs({ segments: input.earlierPairs })
    : input.previousPairs;
  const start: IterationStart = { pi0: setup.pi0, policy: input.policy, trainPrompts: setup.trainPrompts, offlinePairs: setup.offlinePairs, previousPairs };
  const calls = sampleShardCalls(plan, spec.sampling.shards, start);
  status.shards = calls.length;
  // Every (sampler, shard) is its own activity: they run in parallel on every worker of the inference queue.
  const sampled = await allOrCancel(() => calls.map(async (call) => {
    const out = await acts.sampleShard(envelope(call));
    status.shardsDone += 1;
    return out;
  }));
  const samples = sampled.map((s) => s.samples);

  await enter('rank', stage);
  const ranked = await acts.rank(envelope({ samples }));

  await enter('filter', stage);
  const filtered = await acts.filter(envelope({ scored: ranked.scored }));

  await enter('update', stage);
  const update = updateCall(plan, start, filtered.pairs);
  const updated = await acts.update(envelope(update));

  await enter('evaluate', stage);
  const evaluated = acts.evaluate(envelope({ checkpoint: updated.checkpoint, pi0: setup.pi0 }));
  // The campaign can start the next iteration now: it needs this policy and these pairs, not the evaluation.
  // (Sent after the evaluation is scheduled, so that starting the next iteration does not delay it.)
  const parent = workflowInfo().parent;
  const notified = parent
    ? getExternalWorkflowHandle(parent.workflowId).signal(iterationTrainedSignal, { iteration, checkpoint: updated.checkpoint, pairs: filtered.pairs })
      .catch(() => undefined)
    : undefined;
  const evalMetrics = await evaluated;
  await notified;
  status.step = 'idle';
  return {
    iteration,
    plan,
    stage,
    samples,
    scored: ranked.scored,
    pairs: filtered.pairs,
    updateData: update.pairs,
    checkpoint: updated.checkpoint,
    trainLog: updated.log,
    train: updated.train,
    eval: evalMetrics,
    labels: ranked.labels + filtered.labels,
    pairCount: filtered.count,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Promise.all whose failure cancels the siblings still running, so no shard keeps computing for a failed iteration. */
async function allOrCancel<T>(start: () => Array<Promise<T>>): Promise<T[]> {
  return CancellationScope.cancellable(async () => {
    try {
      return await Promise.all(start());
    } catch (err) {
      CancellationScope.current().cancel();
      throw err;
    }
  });
}

/** Deterministic child id: a retried or replayed campaign finds the same iteration. */
export function iterationWorkflowId(campaign: string, iteration: number): string {
  return `${campaign}/iter-${iteration}`;
}
