/**
 * `prefloop gc <campaign> --keep best,last,every:10`: prune the bulky artifacts of iterations nobody needs, while the
 * manifest and the audit stay consistent. Pruned are an iteration's sampled, scored and paired data (JSONL of the
 * sample, rank and filter steps) and its checkpoints (update's .safetensors); kept always are set-up (iteration 0:
 * prompts, pi0, D_off), every step's small JSON outputs, the training logs (the report's curves), evaluations and
 * the attempt journal. Each prune writes a tombstone to the manifest before the file goes, so the audit shows the
 * ref as pruned (when, why) and a read of it fails as pruned, never as missing or corrupt.
 *
 * A running campaign keeps the iteration in flight and the one before it (the reference of `reference: previous`,
 * the policy the next iteration starts from) and every iteration's pairs (`update.data: accumulate` reads them all).
 */
import type { Client } from '@temporalio/client';
import type { ArtifactKey, ArtifactRef } from '../schemas/artifacts';
import type { PrunedArtifact } from '../store/types';
import { campaignHandle, campaignStatus } from './campaigns';

export interface KeepPolicy {
  best: boolean;
  last: boolean;
  /** Keep iterations that are multiples of this (every:10 keeps 10, 20, ...). */
  every?: number;
  /** Iterations named outright (`--keep 3,7`). */
  iterations: number[];
}

/** "best,last,every:10,3" -> KeepPolicy; throws an Error naming the bad entry and the grammar. */
export function parseKeep(value: string): KeepPolicy {
  const policy: KeepPolicy = { best: false, last: false, iterations: [] };
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const every = /^every:(\d+)$/.exec(raw);
    if (raw === 'best') policy.best = true;
    else if (raw === 'last') policy.last = true;
    else if (every && Number(every[1]) >= 1) policy.every = Number(every[1]);
    else if (/^\d+$/.test(raw)) policy.iterations.push(Number(raw));
    else throw new Error(`"${raw}" is not best, last, every:N (N >= 1) or an iteration number; e.g. --keep best,last,every:10`);
  }
  return policy;
}

/** Whether an artifact is bulk that gc may prune: sampled/scored/paired data and checkpoints of iterations >= 1. */
export function prunable(key: ArtifactKey, ref: ArtifactRef): boolean {
  if (key.iteration === 0) return false;
  if (['sample', 'rank', 'filter'].includes(key.step)) return ref.mediaType === 'application/x-ndjson';
  if (key.step === 'update') return ref.mediaType === 'application/vnd.safetensors';
  return false;
}

/** The store gc needs: list, prune, and what was pruned before. */
export interface PrunableStore {
  list(campaign: string): Promise<Array<{ key: ArtifactKey; ref: ArtifactRef }>>;
  prune(key: ArtifactKey, reason: string): Promise<ArtifactRef[]>;
  pruned(campaign: string): Promise<PrunedArtifact[]>;
}

export interface GcPlan {
  campaign: string;
  running: boolean;
  best?: number;
  last: number;
  kept: number[];
  /** What is (or, with dryRun, would be) pruned. */
  pruned: Array<{ iteration: number; uri: string; bytes: number }>;
  bytes: number;
}

export async function gcCampaign(client: Client, store: PrunableStore, campaign: string, keep: KeepPolicy, options: { dryRun?: boolean; reason?: string } = {}): Promise<GcPlan> {
  const description = await campaignHandle(client, campaign).describe();
  const running = description.status.name === 'RUNNING';
  const status = await campaignStatus(client, campaign);
  const listed = await store.list(campaign);
  const iterations = [...new Set(listed.map(({ key }) => key.iteration))].filter((t) => t > 0).sort((a, b) => a - b);
  const last = running ? status.iteration : Math.max(status.iteration, ...iterations, 0);
  const kept = new Set(keep.iterations);
  if (keep.best && status.best) kept.add(status.best.iteration);
  if (keep.last) kept.add(last);
  if (keep.every) for (const t of iterations) if (t % keep.every === 0) kept.add(t);
  // A running campaign still reads the iteration in flight and the one before it.
  if (running) for (const t of iterations) if (t >= last - 1) kept.add(t);
  const reason = options.reason ?? `prefloop gc --keep ${describeKeep(keep)}`;
  const pruned: GcPlan['pruned'] = [];
  for (const { key, ref } of listed) {
    if (kept.has(key.iteration) || !prunable(key, ref)) continue;
    if (running && key.step === 'filter') continue;
    pruned.push({ iteration: key.iteration, uri: ref.uri, bytes: ref.bytes });
    if (!options.dryRun) await store.prune(key, reason);
  }
  return {
    campaign, running, best: status.best?.iteration, last, kept: [...kept].filter((t) => iterations.includes(t)).sort((a, b) => a - b),
    pruned, bytes: pruned.reduce((n, p) => n + p.bytes, 0),
  };
}

export function describeKeep(keep: KeepPolicy): string {
  return [keep.best ? 'best' : '', keep.last ? 'last' : '', keep.every ? `every:${keep.every}` : '', ...keep.iterations.map(String)].filter(Boolean).join(',');
}
