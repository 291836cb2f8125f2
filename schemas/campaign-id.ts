/**
 * The one rule for a campaign's id (the spec's `name`, `prefloop run --id`, a fork's id, a client's
 * `startCampaign({campaign})`): it names the workflow and the campaign's folder in the store, so an id such as
 * `../../x`, `/abs` or `a/b` is refused where it is given, not later in the store.
 */
import { SpecError } from './spec-error';

export const CAMPAIGN_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const CAMPAIGN_ID_RULE = 'must be 1-63 chars of a-z, 0-9, ".", "_", "-", starting with a letter or digit';

/** Throws a SpecError naming `what` (e.g. `--id`) when `id` breaks the rule; returns the id otherwise. */
export function checkCampaignId(id: unknown, what = 'campaign id'): string {
  if (typeof id === 'string' && CAMPAIGN_ID_PATTERN.test(id)) return id;
  const shown = typeof id === 'string' ? JSON.stringify(id) : String(id);
  throw new SpecError([{ path: what, message: `${shown} ${CAMPAIGN_ID_RULE} (e.g. my-campaign-2)` }], undefined, 'campaign id');
}
