import type { Client } from '@temporalio/client';
import type { ArtifactRef } from '../schemas/artifacts';
import type { CampaignSpec } from '../schemas/campaign';
import { applySetOverrides, parseCampaignSpec } from '../schemas/parse';
import type { CampaignInput, IterationOutput, SetupRefs } from '../workflows/types';
import { campaignHandle, startCampaignWorkflow } from './campaign-ops';
import { CliError, usageError } from './errors';
import { EXIT } from './exit-codes';
import { activityExecutions, workflowInput } from '../client/history';
import type { History } from '@temporalio/common/lib/proto-utils';

export interface ForkResult {
  campaign: string;
  from: { campaign: string; iteration: number; checkpoint: ArtifactRef };
  spec: CampaignSpec;
}

/** The campaign's setup refs: carried in the input after continue-as-new, else the setup activity's result. */
function setupOf(input: CampaignInput, history: History): SetupRefs | undefined {
  if (input.state?.setup) return input.state.setup;
  if (input.fork) return input.fork.setup;
  return activityExecutions(history).find((r) => r.activityType === 'setup' && r.result !== undefined)?.result as SetupRefs | undefined;
}

/**
 * Start a new campaign whose iteration 0 is iteration k of another one: same pi0 and prompt pools, the
 * checkpoint after iteration k, the pairs collected up to k; the spec is the old one with `--set` applied.
 */
export async function forkCampaign(client: Client, source: string, k: number, sets: readonly string[], newId?: string): Promise<ForkResult> {
  await campaignHandle(client, source);
  const history = await client.workflow.getHandle(source).fetchHistory();
  const input = workflowInput(history) as CampaignInput;
  const baseSpec = input.state?.spec ?? parseCampaignSpec(input.spec, `${source}'s spec`);
  const setup = setupOf(input, history);
  if (!setup) throw new CliError(`campaign "${source}" has not finished its setup yet; nothing to fork`, EXIT.failure);
  if (k < 0 || k > baseSpec.iterations) throw usageError(`--from-iteration must be between 0 and ${baseSpec.iterations} for "${source}", got ${k}`);

  let checkpoint = setup.pi0;
  const pairs: ArtifactRef[] = [];
  for (let t = 1; t <= k; t++) {
    const child = client.workflow.getHandle(`${source}/iter-${t}`);
    const info = await child.describe().catch(() => undefined);
    if (info?.status.name !== 'COMPLETED') throw new CliError(`iteration ${t} of "${source}" has not completed; fork from an earlier iteration`, EXIT.failure);
    const out = (await child.result()) as IterationOutput;
    checkpoint = out.checkpoint;
    pairs.push(out.pairs);
  }
  const spec = parseCampaignSpec(sets.length ? applySetOverrides(baseSpec, sets) : baseSpec, sets.length ? `${source}'s spec with --set` : undefined);
  const campaign = newId ?? `${source}-fork${k}`;
  const forkInput: CampaignInput = {
    spec,
    fork: { campaign: source, iteration: k, checkpoint, patch: sets.length ? (applySetOverrides({}, sets) as Record<string, unknown>) : {}, setup, pairs },
  };
  try {
    await startCampaignWorkflow(client, campaign, spec, forkInput, 'reject');
  } catch (e) {
    if ((e as Error).name === 'WorkflowExecutionAlreadyStartedError') throw usageError(`campaign id "${campaign}" is already used; pass --id <new-id>`);
    throw e;
  }
  return { campaign, from: { campaign: source, iteration: k, checkpoint }, spec };
}
