import type { CampaignSummary, TrainLog } from '../schemas/results';
import type { ArtifactStore } from '../store/types';
import type { AuditRow, IterationTrainLog, ReportCampaign } from '../report';

/**
 * Per-step training logs of a campaign, read from the store through the `trainLog` refs its summary records
 * (multi-stage iterations record one per stage: `stage<k>/trainLog`). A log that cannot be read is reported in
 * `missing`, never silently dropped.
 */
export async function readTrainLogs(store: ArtifactStore, summary: CampaignSummary): Promise<{ logs: IterationTrainLog[]; missing: string[] }> {
  const logs: IterationTrainLog[] = [];
  const missing: string[] = [];
  for (const record of summary.iterations) {
    // The workflow records the per-step log as `trainLog` (`stage<k>/trainLog` when staged); the in-process runner as `log`.
    const names = Object.keys(record.artifacts).filter((n) => n === 'trainLog' || n === 'log' || n.endsWith('/trainLog')).sort();
    const steps: TrainLog[] = [];
    for (const name of names) {
      try {
        for await (const row of store.readJsonl<TrainLog>(record.artifacts[name])) steps.push(row);
      } catch (e) {
        missing.push(`iteration ${record.iteration} ${name}: ${(e as Error).message.split('\n')[0]}`);
      }
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
