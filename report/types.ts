import type { ArtifactRef } from '../schemas/artifacts';
import type { CampaignSummary, TrainLog } from '../schemas/results';

/** One step of one iteration as the audit reconstructs it from Temporal history and the store. */
export interface AuditRow {
  iteration: number;
  /** Step name: setup, sample, rank, filter, update, evaluate (shards as sample[0], sample[1], ...). */
  step: string;
  inputs: Record<string, ArtifactRef | undefined>;
  outputs: Record<string, ArtifactRef | undefined>;
  /** Attempts and duration come from Temporal history; absent when the audit came from the store alone. */
  attempts?: number;
  seconds?: number;
  /** ISO time the step was scheduled, when known. */
  startedAt?: string;
  status?: string;
  /** Uris of inputs/outputs whose content `prefloop gc` pruned (the refs stay, the bytes are gone). */
  pruned?: string[];
}

/** Per-optimizer-step training logs of one iteration (standard DPO trainer names, plus `step`). */
export interface IterationTrainLog {
  iteration: number;
  steps: TrainLog[];
}

export interface ReportCampaign {
  summary: CampaignSummary;
  trainLogs: IterationTrainLog[];
  audit: AuditRow[];
}

/** Everything a report shows; the renderer does no I/O. */
export interface ReportInput {
  title?: string;
  /** ISO time stamp printed in the header; defaults to now. */
  generatedAt?: string;
  campaigns: ReportCampaign[];
}
