/** The committed Hugging Face fixture models (scripts/make_hf_fixtures.py) placed under a store root, and a tiny spec on them. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CampaignSpecInput } from '../../../schemas/campaign';
import { tinySpec } from '../steps/tiny-spec';

export const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'hf');

/** Copies a fixture model into the store root (specs read models only from under the root). */
export function placeModel(root: string, fixture: string, as = `models/${fixture}`): string {
  const dir = path.join(root, as);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(path.join(FIXTURES, fixture))) fs.copyFileSync(path.join(FIXTURES, fixture, f), path.join(dir, f));
  return as;
}

export function hfSpec(modelPath: string, overrides: Partial<CampaignSpecInput> = {}) {
  return tinySpec({
    name: 'hf',
    policy: { source: 'hf', path: modelPath },
    task: { name: 'text', trainPrompts: 16, evalPrompts: 4, maxResponseWords: 6 },
    sampling: { promptsPerIteration: 4, n: 4, shards: 1, maxNewTokens: 8 },
    update: { lr: 1e-3, epochs: 1, batchSize: 2, checkpointEvery: 2 },
    evaluation: { prompts: 2, samplesPerPrompt: 2, exact: false },
    ...overrides,
  });
}
