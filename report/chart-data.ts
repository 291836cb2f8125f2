import type { CampaignSummary, EvalMetrics } from '../schemas/results';
import type { ReportCampaign } from './types';

/** One evaluated policy: iteration 0 is pi0 (the summary's `initial`). */
export interface IterationPoint {
  campaign: string;
  iteration: number;
  reward: number;
  kl: number;
  J: number;
  gap: number | null;
}

export function iterationPoints(summary: CampaignSummary): IterationPoint[] {
  const point = (iteration: number, m: EvalMetrics): IterationPoint => ({
    campaign: summary.campaign,
    iteration,
    reward: m.reward,
    kl: m.kl,
    J: m.J,
    gap: m.gap ?? null,
  });
  return [point(0, summary.initial), ...summary.iterations.map((r) => point(r.iteration, r.eval))];
}

export interface TrainPoint {
  campaign: string;
  iteration: number;
  /** Optimizer step counted across the whole campaign, so iterations line up left to right. */
  globalStep: number;
  loss: number | null;
  margin: number | null;
}

export function trainPoints(campaign: ReportCampaign): TrainPoint[] {
  const out: TrainPoint[] = [];
  let globalStep = 0;
  const logs = [...campaign.trainLogs].sort((a, b) => a.iteration - b.iteration);
  for (const log of logs) {
    for (const row of log.steps) {
      globalStep += 1;
      out.push({
        campaign: campaign.summary.campaign,
        iteration: log.iteration,
        globalStep,
        loss: finiteOrNull(row.loss),
        margin: finiteOrNull(row['rewards/margins']),
      });
    }
  }
  return out;
}

function finiteOrNull(x: number | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
