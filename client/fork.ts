/**
 * fork(campaign, k, patch): a new campaign whose iteration 0 is iteration k of the old one (its checkpoint and
 * evaluation, its prompt pools and pi0, the pairs collected up to k, those a forked campaign inherited included),
 * running the old spec as it was at iteration k with the patch and the `--set` assignments applied, under the new
 * campaign's name. Any field may change (algorithm included): a fork is a new campaign. Provenance is in its input,
 * memo and status. The one implementation: `prefloop fork` calls it.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ArtifactRef } from '../schemas/artifacts';
import type { EvalMetrics } from '../schemas/results';
import type { PairsSegment } from '../schemas/pairs-source';
import type { CampaignSpec } from '../schemas/campaign';
import { applySetOverrides, parseCampaignSpec } from '../schemas/parse';
import type { preferenceCampaign } from '../workflows/campaign';
import type { CampaignInput, ForkOrigin, IterationInput, IterationOutput, SetupRefs } from '../workflows/types';
import { campaignRunHistories } from './audit';
import { startCampaign } from './campaigns';
import { activityExecutions, childExecutions, workflowInput } from './history';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else (numbers, strings, arrays) replaces. */
export function mergePatch(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) out[key] = mergePatch(base[key], value);
  return out;
}

export interface ForkOptions {
  campaign: string;
  /** Iteration of the old campaign that becomes the fork's iteration 0 (0 = its pi0). */
  iteration: number;
  patch?: Record<string, unknown>;
  /** `path=value` assignments (the CLI's --set), applied after `patch`. */
  sets?: readonly string[];
  /** Id (and spec name) of the new campaign; default `<campaign>-fork<k>`. */
  newCampaign?: string;
}

/** Why a fork could not start: the source is not far enough yet, k is out of range, or the new id is taken. */
export class ForkError extends Error {
  constructor(message: string, readonly reason: 'not-ready' | 'bad-iteration' | 'id-taken') {
    super(message);
    this.name = 'ForkError';
  }
}

export interface ForkStarted {
  campaign: string;
  from: { campaign: string; iteration: number; checkpoint: ArtifactRef };
  spec: CampaignSpec;
  /** What changed against the source's spec at iteration k (the recorded provenance). */
  patch: Record<string, unknown>;
  handle: WorkflowHandle<typeof preferenceCampaign>;
}

export async function forkCampaign(client: Client, options: ForkOptions): Promise<ForkStarted> {
  const { campaign, iteration: k } = options;
  const sets = options.sets ?? [];
  const patch = mergePatch(options.patch ?? {}, sets.length ? applySetOverrides({}, sets) : {}) as Record<string, unknown>;
  const newCampaign = options.newCampaign ?? `${campaign}-fork${k}`;
  if (!Number.isInteger(k) || k < 0) throw new ForkError(`cannot fork ${campaign} at iteration ${k}: the iteration must be an integer >= 0`, 'bad-iteration');
  const histories = (await campaignRunHistories(client, campaign)).map((r) => r.history);
  const inputs = histories.map((h) => workflowInput(h) as CampaignInput);
  const original = inputs.find((i) => !i.state) ?? inputs[0];
  const originalSpec = parseCampaignSpec(original.spec, `${campaign}'s spec`);
  if (k > originalSpec.iterations) {
    throw new ForkError(`cannot fork ${campaign} at iteration ${k}: it runs iterations 1..${originalSpec.iterations} (0 is its pi0)`, 'bad-iteration');
  }

  const campaignSteps = histories.flatMap(activityExecutions).filter((a) => a.status === 'completed');
  const setup = (campaignSteps.find((a) => a.activityType === 'setup')?.result as SetupRefs | undefined) ?? original.fork?.setup;
  if (!setup) throw new ForkError(`cannot fork ${campaign}: its setup (iteration 0) has not completed yet`, 'not-ready');
  // The evaluation of the campaign's starting policy: its iteration-0 evaluate step, or what it was forked with
  // (campaigns started by earlier prefloop versions kept it in the setup output).
  const initial = (campaignSteps.find((a) => a.activityType === 'evaluate')?.result as EvalMetrics | undefined)
    ?? original.fork?.initial ?? (setup as SetupRefs & { initialEval?: EvalMetrics }).initialEval;

  const children = histories.flatMap(childExecutions).filter((c) => c.status === 'completed');
  const outputs = new Map<number, { input: IterationInput; output: IterationOutput }>();
  for (const c of children) {
    const output = c.result as IterationOutput;
    outputs.set(output.iteration, { input: c.input as IterationInput, output });
  }
  const done = [...outputs.keys()].sort((a, b) => a - b);
  if (k !== 0 && !outputs.has(k)) {
    throw new ForkError(`cannot fork ${campaign} at iteration ${k}: completed iterations are ${done.length ? done.join(', ') : 'none yet'}`, 'not-ready');
  }
  const at = outputs.get(k);
  const initialOfFork = at ? at.output.eval : initial;
  if (!initialOfFork) throw new ForkError(`cannot fork ${campaign} at iteration 0: its evaluation of pi0 has not completed yet`, 'not-ready');
  const pairs: ArtifactRef[] = [
    ...(original.fork?.pairs ?? []),
    ...done.filter((t) => t <= k).map((t) => outputs.get(t)!.output.pairs),
  ];
  // Where a source with pairsFromStore says its pairs are (bounded, whatever k): what iteration k was handed, then k's own.
  // At k = 0 the fork inherits what the source itself was forked with.
  const earlierPairs: PairsSegment[] | undefined = at
    ? (at.input.earlierPairs ? [...at.input.earlierPairs, { refs: [at.output.pairs] }] : undefined)
    : original.fork?.earlierPairs;
  const checkpoint = at ? at.output.checkpoint : setup.pi0;
  const baseSpec = at ? at.input.spec : originalSpec;
  const spec = parseCampaignSpec(mergePatch(mergePatch(baseSpec, { name: newCampaign }), patch), `fork of ${campaign} at iteration ${k}`);
  const origin: ForkOrigin = { campaign, iteration: k, checkpoint, patch };
  try {
    const handle = await startCampaign(client, spec, { campaign: newCampaign, memo: { prefloopFork: origin }, reuse: 'reject' }, {
      fork: { ...origin, setup, pairs, initial: initialOfFork, ...(earlierPairs ? { earlierPairs } : {}) },
    });
    return { campaign: newCampaign, from: { campaign, iteration: k, checkpoint }, spec, patch, handle };
  } catch (e) {
    if ((e as Error).name === 'WorkflowExecutionAlreadyStartedError') throw new ForkError(`campaign id "${newCampaign}" is already used; fork under another id`, 'id-taken');
    throw e;
  }
}
