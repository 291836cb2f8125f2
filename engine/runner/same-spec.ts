/**
 * Is a campaign's stored spec the spec of this run? Steps return finished outputs found in the store, so
 * re-running a campaign id with a different spec would silently mix the two; the runner refuses it. The stored
 * text is read under today's schema before comparing: a campaign started by an older prefloop lacks the fields
 * added since, with their defaults, and is still the same campaign (issue 17: a sweep's campaigns could not be
 * resumed after main gained evaluation.select and execution.allowLargeRuns).
 */
import { MEDIA_TYPES } from '../../schemas/artifacts';
import type { CampaignSpec } from '../../schemas/campaign';
import { parseCampaignSpec } from '../../schemas/parse';
import type { ArtifactStore } from '../../store/types';
import { InvalidInputError } from '../errors';

/** Where two parsed specs differ: `path: stored -> now`, in field order. */
export function specDifferences(stored: unknown, now: unknown, at = ''): string[] {
  if (isObject(stored) && isObject(now)) {
    const keys = [...new Set([...Object.keys(stored), ...Object.keys(now)])];
    return keys.flatMap((k) => specDifferences(stored[k], now[k], at ? `${at}.${k}` : k));
  }
  return JSON.stringify(stored) === JSON.stringify(now) ? [] : [`${at || '(root)'}: ${show(stored)} -> ${show(now)}`];
}

/** Records the spec at a campaign's first run; refuses a run whose spec differs, naming the fields. */
export async function checkSameSpec(store: ArtifactStore, campaign: string, spec: CampaignSpec): Promise<void> {
  const key = { campaign, iteration: 0, step: 'setup', name: 'spec.json' };
  const text = JSON.stringify(spec);
  const found = await store.find(key);
  if (!found) {
    await store.put(key, new TextEncoder().encode(text), MEDIA_TYPES.json);
    return;
  }
  const storedText = new TextDecoder().decode(await store.get(found));
  if (storedText === text) return;
  const refuse = (why: string) => new InvalidInputError(`campaign '${campaign}' already exists in ${store.root} with a different spec (${why}); give this run another campaign name (spec.name or options.campaign)`);
  let stored: CampaignSpec;
  try {
    stored = parseCampaignSpec(JSON.parse(storedText));
  } catch (e) {
    throw refuse(`its stored spec is not valid under this version's schema: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')}`);
  }
  const differences = specDifferences(stored, spec);
  if (differences.length) {
    const shown = differences.slice(0, 5).join('; ');
    throw refuse(`stored -> now: ${shown}${differences.length > 5 ? `; and ${differences.length - 5} more` : ''}`);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
const show = (x: unknown) => (x === undefined ? '(absent)' : JSON.stringify(x));
