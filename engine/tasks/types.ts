/** A built-in task: prompts, a gold reward, a feature map, and the base distribution pi0 is fitted to. */
import type { ResolvedModelConfig } from '../model/api';
import type { Rng } from '../sampling/rng';
import type { PromptValue } from '../data/messages';

export interface PromptResponse { prompt: number[]; response: number[] }

export interface Task {
  readonly name: 'bandit' | 'text' | 'files';
  /** Model vocabulary size the task's tokens need. */
  readonly vocab: number;
  readonly trainPrompts: number[][];
  readonly evalPrompts: number[][];
  /** Generation length: exactly this many tokens on bandit; at most this many (stop token included) on text. */
  readonly maxNewTokens: number;
  readonly stopTokens: number[];
  /** True when every response of every prompt can be listed (exact KL, J and J(pi*)). */
  readonly enumerable: boolean;
  /** False for user data (the files task): gold() and raterReward() are NaN and evaluation uses the reward source. */
  readonly hasGold: boolean;
  /** Dimension of phi(x, a), the features the gold reward is linear in (used by the linear BT reward model). */
  readonly featureDim: number;
  /** The reward evaluation measures (J, win-rate): the task's true quality. */
  gold(prompt: number[], response: number[]): number;
  /**
   * The reward the labeler judges by (the simulated human and the 'gold' reward source): gold plus any rater
   * bias the task models (text: a verbosity bias); equal to gold on bandit.
   */
  raterReward(prompt: number[], response: number[]): number;
  features(prompt: number[], response: number[]): number[];
  /** Draws from the base distribution whose SFT fit is pi0. */
  baseSamples(rng: Rng, count: number): PromptResponse[];
  /** Every possible response (enumerable tasks only). */
  allResponses(): number[][];
  /** Response length as the length penalty counts it (tokens on bandit, words on text: the stop token is not counted). */
  responseLength(response: number[]): number;
  render(tokens: number[]): string;
  /** The prompt as the user wrote it (files task), which reward workers and reward models read; else undefined. */
  promptSource?(split: 'train' | 'eval', index: number): PromptValue | undefined;
  /** The model the task's token ids belong to, when the task was re-tokenized for a Hugging Face policy (hf-text.ts). */
  readonly model?: ResolvedModelConfig;
}
