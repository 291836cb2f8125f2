import type { CampaignSummary, TrainLog } from '../schemas/results';
import type { ArtifactStore } from '../store/types';
import type { AuditRow, IterationTrainLog, ReportCampaign } from '../report';

/**
 * Per-step training logs of a campaign, read from the store through the `log` ref each iteration record keeps
 * (schemas/iteration-wiring.ts). A log that cannot be read is reported in `missing`, never silently dropped.
 */
export async function readTrainLogs(store: ArtifactStore, summary: CampaignSummary): Promise<{ logs: IterationTrainLog[]; missing: string[] }> {
  const logs: IterationTrainLog[] = [];
  const missing: string[] = [];
  for (const record of summary.iterations) {
    const ref = record.artifacts.log;
    if (!ref) continue;
    const steps: TrainLog[] = [];
    try {
      for await (const row of store.readJsonl<TrainLog>(ref)) steps.push(row);
    } catch (e) {
      missing.push(`iteration ${record.iteration} log: ${(e as Error).message.split('\n')[0]}`);
    }
    if (steps.length) logs.push({ iteration: record.iteration, steps });
  }
  return { logs, missing };
}

export async function reportCampaign(store: ArtifactStore | undefined, summary: CampaignSummary, audit: AuditRow[]): Promise<{ campaign: ReportCampaign; missing: string[] }> {
  if (!store) return { campaign: { summary, trainLogs: [], audit }, missing: ['no artifact store: per-step training logs omitted'] };
  const { logs, missing } = await readTrainLogs(store, summary);
  return { campaign: { summary, trainLogs: logs, audit }, missing };
}
