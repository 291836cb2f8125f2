/** A campaign small enough for unit tests: 27 responses per prompt, a 1-layer d16 GPT, a few pairs per iteration. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CampaignSpecSchema, type CampaignSpec, type CampaignSpecInput } from '../../../schemas/campaign';
import { LocalArtifactStore } from '../../../store/local';

export function tinySpec(overrides: Partial<CampaignSpecInput> = {}): CampaignSpec {
  return CampaignSpecSchema.parse({
    name: 'tiny',
    iterations: 2,
    seed: 3,
    policy: { source: 'builtin', model: { dModel: 16, layers: 1, heads: 2, context: 8 } },
    task: { name: 'bandit', vocab: 3, promptLength: 2, responseLength: 3, trainPrompts: 32, evalPrompts: 4, featureDim: 4, sft: { steps: 20, lr: 1e-2, batchSize: 16 } },
    sampling: { promptsPerIteration: 12, n: 4, shards: 2 },
    rejectionSampling: { candidates: 6, accepted: 2, etaSchedule: [0.5, 0.1] },
    update: { lr: 1e-2, epochs: 2, batchSize: 4, checkpointEvery: 2 },
    evaluation: { prompts: 4 },
    ...overrides,
  });
}

export function tempStore(): { store: LocalArtifactStore; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-steps-'));
  return { store: new LocalArtifactStore(dir), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
