/** How the CLI shows campaigns: a list row from the client's listing. */
import type { CampaignListing } from '../client/campaigns';

export interface CampaignRow {
  campaign: string;
  status: string;
  algorithm?: string;
  iteration?: number;
  bestJ?: number;
  startTime?: string;
  closeTime?: string;
}

export function campaignRow(c: CampaignListing): CampaignRow {
  const execution = c.execution.toLowerCase();
  // While running, the campaign's own status attribute (running/paused) says more than Temporal's RUNNING.
  const status = execution === 'running' ? (c.status ?? 'running') : execution;
  return {
    campaign: c.campaign, status, algorithm: c.algorithm, iteration: c.iteration, bestJ: c.bestJ,
    startTime: c.startTime?.toISOString(), closeTime: c.closeTime?.toISOString(),
  };
}
