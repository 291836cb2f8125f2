/**
 * The `files` task: the user's prompt files (task.prompts for training, task.evalPrompts held out), read through the
 * policy's tokenizer and chat template (files-prompts.ts). It has no gold reward, no feature map and no base
 * distribution: pi0 is the given model, rewards come from the campaign's reward source (an ONNX reward model or an
 * `activity`), and evaluation measures by that source (evaluation/reward-free.ts).
 *
 * Its prompt files (JSONL or Parquet) are read asynchronously by loadFilesTask before the task is built; the task
 * itself, like the built-in ones, is a plain synchronous object (tasks/index.ts caches it per process).
 */
import type { PromptValue } from '../data/messages';
import { InvalidInputError } from '../errors';
import type { Tokenizer } from '../tokenizer/types';
import { loadPromptSet, type FilesPromptSet, type PolicyText } from './files-prompts';
import type { Task } from './types';

export interface FilesTask extends Task {
  readonly name: 'files';
  readonly train: FilesPromptSet;
  readonly eval: FilesPromptSet;
}

const NO_GOLD = 'a files task has no gold reward; use reward.source.kind onnx or activity';

export function createFilesTask(train: FilesPromptSet, evalSet: FilesPromptSet, tokenizer: Tokenizer, maxNewTokens: number, stopTokens: number[]): FilesTask {
  const stop = new Set(stopTokens);
  const noGold = (): never => { throw new InvalidInputError(NO_GOLD); };
  return {
    name: 'files',
    train,
    eval: evalSet,
    vocab: tokenizer.vocabSize,
    trainPrompts: train.records.map((r) => r.ids),
    evalPrompts: evalSet.records.map((r) => r.ids),
    maxNewTokens,
    stopTokens,
    enumerable: false,
    hasGold: false,
    featureDim: 0,
    gold: () => NaN,
    raterReward: () => NaN,
    features: noGold,
    baseSamples: () => { throw new InvalidInputError('task.name \'files\' has no base distribution: pi0 is the given model (policy.source: hf), not trained by SFT'); },
    allResponses: () => { throw new InvalidInputError('a files task cannot enumerate its responses; set evaluation.exact: false'); },
    responseLength: (a) => a.filter((t) => !stop.has(t)).length,
    render: (ids) => tokenizer.decode(ids),
    promptSource(split: 'train' | 'eval', index: number): PromptValue | undefined {
      return (split === 'train' ? train : evalSet).records[index]?.prompt;
    },
  };
}

export async function loadFilesTask(root: string, files: { prompts: string; evalPrompts: string }, policy: PolicyText, stopTokens: number[]): Promise<FilesTask> {
  const train = await loadPromptSet(root, 'task.prompts', files.prompts, policy);
  const evalSet = await loadPromptSet(root, 'task.evalPrompts', files.evalPrompts, policy);
  return createFilesTask(train, evalSet, policy.tokenizer, policy.maxNewTokens, stopTokens);
}
