import * as fs from 'node:fs';
import type { CampaignSpec } from '../schemas/campaign';
import { applySetOverrides, parseCampaignSpec } from '../schemas/parse';
import { loadCampaignSpecFile } from '../store/spec-file';
import { notFoundError } from './errors';

/** Commander collector for repeatable `--set k=v`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Read a spec file (YAML or JSON), apply `--set` overrides to the raw input, validate once, so an invalid value
 * is reported with its full field path. A missing file is "not found" (exit 3), not a usage error.
 */
export function loadSpec(file: string, sets: readonly string[] = []): CampaignSpec {
  if (!fs.existsSync(file)) throw notFoundError(`spec file ${file} does not exist`);
  return loadCampaignSpecFile(file, sets);
}

/** A spec from built-in defaults plus overrides (the demo). */
export function specFromOverrides(base: Record<string, unknown>, sets: readonly string[] = []): CampaignSpec {
  return parseCampaignSpec(sets.length ? applySetOverrides(base, sets) : base, sets.length ? '--set' : undefined);
}
