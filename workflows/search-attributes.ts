import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Typed search attributes every campaign upserts, so that
 * `temporal workflow list --query "PrefloopAlgorithm='rso' AND PrefloopBestJ > 0.5"` finds campaigns.
 * The dev server registers them at start (workers/dev-server.ts); a production namespace needs
 * `temporal operator search-attribute create` once (see workers/README or `prefloop server`).
 */
export const CAMPAIGN = defineSearchAttributeKey('PrefloopCampaign', SearchAttributeType.KEYWORD);
export const ALGORITHM = defineSearchAttributeKey('PrefloopAlgorithm', SearchAttributeType.KEYWORD);
export const ITERATION = defineSearchAttributeKey('PrefloopIteration', SearchAttributeType.INT);
/** running | paused | completed | stopped | failed | cancelled */
export const STATUS = defineSearchAttributeKey('PrefloopStatus', SearchAttributeType.KEYWORD);
export const BEST_J = defineSearchAttributeKey('PrefloopBestJ', SearchAttributeType.DOUBLE);

export const PREFLOOP_SEARCH_ATTRIBUTES = [CAMPAIGN, ALGORITHM, ITERATION, STATUS, BEST_J];
