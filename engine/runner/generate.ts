/**
 * `prefloop generate <model dir>`: one prompt through a Hugging Face model, by the code a campaign samples with (the
 * directory opened and checked as policy.path is, the prompt through promptIds as the text task's prompts, the policy
 * runtime's KV-cache sampling with the model's stop tokens). The quickest way to see that prefloop reads a model right.
 * Each generated token's log-prob is the model's own (temperature 1), from the scoring graph.
 */
import { openHfModelDir, promptIds } from '../checkpoint/hf-dir';
import { checkModelFits, loadHfModelWeights } from '../checkpoint/hf-model';
import { createPolicyRuntime } from '../model/runtime';
import { InvalidInputError } from '../errors';
import type { Provider } from '../../schemas/campaign';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topK?: number;
  topP?: number;
  seed?: number;
  /** Through the chat template when the model has one (default true). */
  chatTemplate?: boolean;
  threads?: number;
  /** As execution.provider; a provider that cannot load is an error (no fallback: the user asked for it). */
  provider?: Provider;
}

export interface Generation {
  prompt: string;
  promptIds: number[];
  ids: number[];
  text: string;
  /** log p(token | prompt, earlier tokens) of each generated token, at temperature 1. */
  logprobs: number[];
  /** Why generation ended: a stop token of the model, or maxNewTokens. */
  finish: 'stop' | 'length';
}

export async function generate(dir: string, prompt: string, o: GenerateOptions): Promise<Generation> {
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) throw new InvalidInputError(`--max-new-tokens must be an integer >= 1, got ${o.maxNewTokens}`);
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) throw new InvalidInputError(`--temperature must be a number >= 0, got ${o.temperature}`);
  const hf = openHfModelDir(dir);
  const { config } = hf.model;
  const ids = promptIds(hf, prompt, o.chatTemplate ?? true, '--prompt');
  if (ids.length + o.maxNewTokens > config.context) {
    throw new InvalidInputError(`--prompt (${ids.length} tokens) + --max-new-tokens ${o.maxNewTokens} exceeds the model's context of ${config.context} (${config.contextSource}); shorten the prompt or lower --max-new-tokens`);
  }
  checkModelFits(hf.model, 'inference');
  const weights = loadHfModelWeights(hf.model);
  const runtime = await createPolicyRuntime(config, { provider: o.provider ?? 'cpu', fallback: 'none', threads: o.threads ?? 1 });
  try {
    const [response] = await runtime.sample(weights, [ids], {
      temperatures: [o.temperature], topK: o.topK ?? 0, topP: o.topP ?? 1, maxNewTokens: o.maxNewTokens, stopTokens: hf.stopTokens, seed: o.seed ?? 0,
    });
    // Sum of log-probs of every prefix of the response, in one batch: differences are per-token log-probs.
    const prefixes = response.map((_, i) => response.slice(0, i + 1));
    const sums = await runtime.sequenceLogprobs(weights, prefixes.map(() => ids), prefixes);
    const logprobs = Array.from(sums, (s, i) => s - (i === 0 ? 0 : sums[i - 1]));
    const stops = new Set(hf.stopTokens);
    return {
      prompt, promptIds: ids, ids: response, text: hf.tokenizer.decode(response), logprobs,
      finish: response.length > 0 && stops.has(response[response.length - 1]) ? 'stop' : 'length',
    };
  } finally {
    await runtime.dispose();
  }
}
