/**
 * A built-in text task seen through a Hugging Face policy's tokenizer. The task's prompts ("describe the small
 * dog") become the model's tokens: as a user message through the model's chat template with the generation prompt
 * (as transformers' apply_chat_template(add_generation_prompt=True)), or, without a template, the tokenizer's BOS
 * followed by the text. The gold reward, the rater's reward and the feature map judge the response's decoded text
 * read back into the task's words (words outside the task's vocabulary count as unknown words), and a response
 * that ends with one of the model's stop tokens is a finished answer. Everything else of the task stays as it was.
 */
import { promptIds, type HfModelDir } from '../checkpoint/hf-dir';
import type { ResolvedModelConfig } from '../model/api';
import { EOS_ID } from '../tokenizer/types';
import { TOKENIZER as WORDS, decodeWords } from './text';
import type { Task } from './types';
import { InvalidInputError } from '../errors';

export function hfTextTask(task: Task, hf: HfModelDir, maxNewTokens: number, useTemplate: boolean): Task & { model: ResolvedModelConfig } {
  const { tokenizer, stopTokens } = hf;
  const wordPrompts = new Map<string, number[]>();
  const convert = (prompt: number[], i: number, split: string): number[] => {
    const ids = promptIds(hf, decodeWords(prompt), useTemplate, `task '${task.name}' ${split} prompt ${i}`);
    wordPrompts.set(ids.join(','), prompt);
    return ids;
  };
  const trainPrompts = task.trainPrompts.map((p, i) => convert(p, i, 'train'));
  const evalPrompts = task.evalPrompts.map((p, i) => convert(p, i, 'eval'));
  const stops = new Set(stopTokens);
  const wordPrompt = (prompt: number[]): number[] => {
    const p = wordPrompts.get(prompt.join(','));
    if (!p) throw new InvalidInputError(`task '${task.name}': a prompt (${prompt.length} tokens) is not one of the task's prompts for this model; the prompt pool was written for another policy.path`);
    return p;
  };
  const words = (response: number[]): number[] => {
    const finished = response.length > 0 && stops.has(response[response.length - 1]);
    const ids = WORDS.encode(tokenizer.decode(response));
    return finished ? [...ids, EOS_ID] : ids;
  };
  return {
    ...task,
    model: hf.model.config,
    vocab: hf.model.config.vocab,
    trainPrompts,
    evalPrompts,
    maxNewTokens,
    stopTokens,
    enumerable: false,
    features: (x, a) => task.features(wordPrompt(x), words(a)),
    gold: (x, a) => task.gold(wordPrompt(x), words(a)),
    raterReward: (x, a) => task.raterReward(wordPrompt(x), words(a)),
    baseSamples: () => {
      throw new InvalidInputError(`task '${task.name}': with policy.source hf, pi0 is the model itself; there is no base distribution to fit`);
    },
    allResponses: () => {
      throw new InvalidInputError(`task '${task.name}': responses of a Hugging Face policy cannot be enumerated; set evaluation.exact to false`);
    },
    responseLength: (a) => task.responseLength(words(a)),
    render: (tokens) => tokenizer.decode(tokens),
  };
}
