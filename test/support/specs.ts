/**
 * Tiny campaign specs for integration tests: the real steps and model family, sized so a campaign takes seconds
 * on one core. Every algorithm of PAPER.md has one.
 */
import type { Algorithm, CampaignSpecInput } from '../../schemas/campaign';

export function tinySpec(name: string, algorithm: Algorithm = 'online-iterative-dpo', overrides: Partial<CampaignSpecInput> = {}): CampaignSpecInput {
  return {
    name,
    algorithm,
    iterations: 2,
    seed: 7,
    policy: { source: 'builtin', model: { dModel: 16, layers: 1, heads: 2, context: 16 } },
    task: { name: 'bandit', vocab: 4, promptLength: 2, responseLength: 3, trainPrompts: 32, evalPrompts: 4, sft: { steps: 10, batchSize: 8 } },
    sampling: { promptsPerIteration: 8, n: 4, shards: 2 },
    rejectionSampling: { candidates: 4, accepted: 2, etaSchedule: [1.0, 0.3] },
    update: { epochs: 1, batchSize: 4, checkpointEvery: 2 },
    evaluation: { prompts: 4, samplesPerPrompt: 2 },
    ...overrides,
  };
}
