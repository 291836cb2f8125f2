/**
 * `prefloop export <campaign> --iteration k --out DIR`: iteration k's policy of a campaign on a Hugging Face model
 * (policy.source hf) as a Hugging Face directory (engine/checkpoint/hf-export.ts). Iteration 0 is pi0, the model as it
 * went in; k >= 1 is the policy iteration k's update wrote. Reads only the artifact store, so it works on a finished
 * campaign without a Temporal server.
 */
import { resolveUserPath } from '../store/confine';
import type { ArtifactStore } from '../store/types';
import { getCheckpoint } from '../engine/checkpoint/stored';
import { exportHfModel, type ExportResult } from '../engine/checkpoint/hf-export';
import { InvalidInputError } from '../engine/errors';
import { POLICY_SOURCE, type PolicySource } from '../engine/steps/hf-policy';

export class CheckpointNotFoundError extends Error {
  override readonly name = 'CheckpointNotFoundError';
}

export async function exportIteration(store: ArtifactStore, campaign: string, iteration: number, out: string): Promise<ExportResult & { checkpoint: string }> {
  if (!Number.isInteger(iteration) || iteration < 0) throw new InvalidInputError(`--iteration must be an integer >= 0, got ${iteration}`);
  const sourceRef = await store.find({ campaign, iteration: 0, step: 'setup', name: POLICY_SOURCE });
  if (!sourceRef) {
    throw new CheckpointNotFoundError(`campaign ${campaign} has no Hugging Face policy in the store at ${store.root} (no setup/${POLICY_SOURCE}); export writes campaigns with policy.source hf (check the id and --store)`);
  }
  const source = JSON.parse(new TextDecoder().decode(await store.get(sourceRef))) as PolicySource;
  const key = iteration === 0
    ? { campaign, iteration: 0, step: 'setup', name: 'pi0.safetensors' }
    : { campaign, iteration, step: 'update', name: 'policy.safetensors' };
  const ref = await store.find(key);
  if (!ref) throw new CheckpointNotFoundError(`campaign ${campaign} has no policy for iteration ${iteration} (not run yet, or pruned by gc); iteration 0 is pi0`);
  const { config, state } = await getCheckpoint(store, ref);
  const dir = await resolveUserPath(store.root, source.path);
  return { ...exportHfModel(dir, config, state.weights, out), checkpoint: ref.uri };
}
