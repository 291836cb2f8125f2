/**
 * A campaign on your own data (task.name files) through the in-process runner and the steps the workflows run:
 * a Hugging Face policy as pi0 (no SFT), conversational prompt files through its chat template, an ONNX reward model
 * directory scoring chat-formatted (prompt, response) with its own tokenizer and template, and evaluation without a
 * gold reward (reward, KL, win rate with standard errors, lengths).
 */
import { runCampaign } from '../../../engine/runner';
import { disposeRuntimes } from '../../../engine/steps';
import { loadTask } from '../../../engine/tasks';
import { loadOnnxRewardModelDir } from '../../../engine/preference/onnx-reward-dir';
import type { Pair, ScoredSample } from '../../../engine/preference/types';
import type { SetupOutput } from '../../../engine/steps/types';
import type { Message } from '../../../engine/data/messages';
import type { CampaignSpecInput } from '../../../schemas/campaign';
import { placeOwnData } from '../../support/own-data';
import { tempStore, tinySpec } from '../steps/tiny-spec';

export function filesSpec(overrides: Partial<CampaignSpecInput> = {}) {
  return tinySpec({
    name: 'own-data',
    policy: { source: 'hf', path: 'models/llama' },
    task: { name: 'files', prompts: 'inputs/prompts-train.jsonl', evalPrompts: 'inputs/prompts-eval.jsonl' },
    reward: { source: { kind: 'onnx', model: 'inputs/rm' }, lengthPenalty: 0.01 },
    sampling: { promptsPerIteration: 4, n: 4, shards: 1, maxNewTokens: 8 },
    update: { lr: 1e-3, epochs: 1, batchSize: 2, checkpointEvery: 2 },
    evaluation: { prompts: 4, samplesPerPrompt: 2, exact: false, select: 'reward' },
    ...overrides,
  });
}

describe('a campaign on your own data', () => {
  const { store, cleanup } = tempStore();
  afterAll(async () => { await disposeRuntimes(); cleanup(); });

  it('online iterative DPO on prompt files, a reward model directory and no gold reward', async () => {
    placeOwnData(store.root);
    const spec = filesSpec();
    const summary = await runCampaign(spec, { store, campaign: 'files-a' });
    expect(summary.iterations).toHaveLength(2);
    expect(summary.iterations.every((r) => r.pairs > 0)).toBe(true);

    // Setup: 16 of 17 training prompts fit (the long one is skipped and counted), all 4 held-out ones.
    const setupRef = await store.find({ campaign: 'files-a', iteration: 0, step: 'setup', name: 'output.json' });
    const setup = JSON.parse(Buffer.from(await store.get(setupRef!)).toString()) as SetupOutput;
    expect(setup.skippedPrompts).toEqual({ train: 1, eval: 0 });
    expect(setup.trainPrompts.rows).toBe(16);

    // Every sample is scored by the reward model on the conversation as written plus the decoded response.
    const task = await loadTask(spec, store.root);
    const rm = await loadOnnxRewardModelDir(store.root, 'inputs/rm', { threads: 1 });
    const ref = await store.find({ campaign: 'files-a', iteration: 1, step: 'rank', name: 'scored.jsonl' });
    const rows: ScoredSample[] = [];
    for await (const r of store.readJsonl<ScoredSample>(ref!)) rows.push(r);
    const scores = await rm.score(rows.map((r) => ({ prompt: task.promptSource!('train', r.promptIndex)!, response: task.render(r.response) })));
    rows.forEach((r, i) => {
      expect(r.reward).toBeCloseTo(scores[i] - 0.01 * task.responseLength(r.response), 5);
      expect(r.gold).toBeUndefined();
    });
    expect((task.promptSource!('train', 0) as Message[])[0]).toEqual({ role: 'system', content: 'Answer briefly.' });

    // Evaluation by the reward source: pi0 against itself has KL 0; later iterations have sampled figures with errors.
    expect(summary.initial.kl).toBe(0);
    expect(summary.initial.exact).toBe(false);
    for (const r of summary.iterations) {
      expect(r.eval.rewardStderr).toBeGreaterThanOrEqual(0);
      expect(r.eval.klStderr).toBeGreaterThanOrEqual(0);
      expect(r.eval.responseChars).toBeGreaterThan(0);
      expect(r.eval.winRateVsInitial).toBeGreaterThanOrEqual(0);
    }
    // evaluation.select: reward picks the iteration with the highest held-out reward.
    const best = summary.iterations.reduce((b, r) => (r.eval.reward > b.eval.reward ? r : b));
    expect(summary.bestIteration).toBe(best.iteration);
  });

  it('refuses a files task without a Hugging Face policy or with a reward that needs a gold reward, before any compute', async () => {
    placeOwnData(store.root);
    await expect(runCampaign(filesSpec({ name: 'files-gold', reward: { source: { kind: 'gold' } } }), { store, campaign: 'files-gold' }))
      .rejects.toThrow(/^reward\.source\.kind 'gold': a files task has no gold reward to score with; use onnx .* or activity/);
    await expect(runCampaign(filesSpec({ name: 'files-builtin', policy: { source: 'builtin' } }), { store, campaign: 'files-builtin' }))
      .rejects.toThrow(/^task\.name 'files': pi0 is the given model, so the policy must be a Hugging Face model directory/);
    for (const c of ['files-gold', 'files-builtin']) expect((await store.list(c)).filter(({ key }) => key.step !== 'setup' || key.name !== 'spec.json')).toEqual([]);
  });
});

describe('a preference dataset as D_off (offline.pairs)', () => {
  const { store, cleanup } = tempStore();
  afterAll(async () => { await disposeRuntimes(); cleanup(); });

  it('offline DPO and hybrid start from the dataset\'s pairs, tokenized as TRL does', async () => {
    placeOwnData(store.root);
    for (const algorithm of ['offline-dpo', 'hybrid'] as const) {
      const spec = filesSpec({ name: `pairs-${algorithm}`, algorithm, iterations: 1, offline: { pairs: 'inputs/pairs.jsonl' } });
      const summary = await runCampaign(spec, { store, campaign: `pairs-${algorithm}` });
      expect(summary.iterations).toHaveLength(1);
      const setupRef = await store.find({ campaign: `pairs-${algorithm}`, iteration: 0, step: 'setup', name: 'output.json' });
      const setup = JSON.parse(Buffer.from(await store.get(setupRef!)).toString()) as SetupOutput;
      expect(setup.offlinePairs!.rows).toBe(8);
      expect(setup.skippedPairs).toBe(0);
      const pairs: Pair[] = [];
      for await (const p of store.readJsonl<Pair>(setup.offlinePairs!)) pairs.push(p);
      const task = await loadTask(spec, store.root);
      // (render() drops the model's eos token <|im_end|>, which the template writes after each turn.)
      expect(task.render(pairs[0].prompt)).toBe('<|im_start|>user\nWhat color is the sky?\n<|im_start|>assistant\n');
      expect(task.render(pairs[0].chosen)).toBe('Blue.\n');
      expect(pairs[0].chosen[pairs[0].chosen.length - 1]).toBe(3); // the tokenizer's eos token, <|im_end|>
      expect(pairs.every((p) => p.provenance.labeler === 'dataset')).toBe(true);
      // The update trained on D_off and the iteration's own pairs: one optimizer step per batch of 2 of them (1 epoch).
      const log = await store.find({ campaign: `pairs-${algorithm}`, iteration: 1, step: 'update', name: 'train-log.jsonl' });
      expect(log!.rows).toBe(Math.ceil((8 + summary.iterations[0].pairs) / 2));
    }
  });

  it('refuses offline.pairs on the built-in policy and together with offline.prompts, naming the fields', async () => {
    placeOwnData(store.root);
    const both = filesSpec({ name: 'pairs-both', algorithm: 'hybrid', offline: { pairs: 'inputs/pairs.jsonl', prompts: 4 } });
    await expect(runCampaign(both, { store, campaign: 'pairs-both' })).rejects.toThrow(/^offline\.pairs and offline\.prompts are two ways to make D_off; give one of them/);
    const builtin = tinySpec({ name: 'pairs-builtin', algorithm: 'offline-dpo', offline: { pairs: 'inputs/pairs.jsonl' } });
    await expect(runCampaign(builtin, { store, campaign: 'pairs-builtin' })).rejects.toThrow(/^offline\.pairs: a preference dataset is text, .* needs a Hugging Face policy/);
  });
});
