/** The committed own-data fixtures placed under a store root as a user would (models/, inputs/), and a spec on them. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CampaignSpecInput } from '../../schemas/campaign';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

export function placeOwnData(root: string): void {
  fs.cpSync(path.join(FIXTURES, 'hf', 'llama'), path.join(root, 'models', 'llama'), { recursive: true });
  fs.mkdirSync(path.join(root, 'inputs'), { recursive: true });
  for (const f of ['prompts-train.jsonl', 'prompts-eval.jsonl', 'prompts-eval.parquet', 'pairs.jsonl']) fs.copyFileSync(path.join(FIXTURES, 'data', f), path.join(root, 'inputs', f));
  fs.cpSync(path.join(FIXTURES, 'reward-model'), path.join(root, 'inputs', 'rm'), { recursive: true });
}

/** Online iterative DPO, 2 iterations, on the tiny llama, the prompt files and the reward model directory. */
export function ownDataSpec(name: string, overrides: Partial<CampaignSpecInput> = {}): CampaignSpecInput {
  return {
    name,
    iterations: 2,
    seed: 5,
    policy: { source: 'hf', path: 'models/llama' },
    task: { name: 'files', prompts: 'inputs/prompts-train.jsonl', evalPrompts: 'inputs/prompts-eval.jsonl' },
    reward: { source: { kind: 'onnx', model: 'inputs/rm' }, lengthPenalty: 0.01 },
    sampling: { promptsPerIteration: 8, n: 4, shards: 2, maxNewTokens: 8 },
    update: { lr: 1e-3, epochs: 1, batchSize: 2, checkpointEvery: 2 },
    evaluation: { prompts: 4, samplesPerPrompt: 2, exact: false },
    ...overrides,
  };
}
