/** Rows that flow between the rank, filter and update steps (one JSON object per JSONL line). */

/** One sampled response, as sampleShard writes it. */
export interface Sample {
  /** Index of the prompt in the task's training pool. */
  promptIndex: number;
  prompt: number[];
  response: number[];
  /** Temperature the response was sampled at. */
  temperature: number;
  /** Which policy sampled it: the current policy ('policy') or pi0 ('initial'). */
  sampler: 'policy' | 'initial';
  /** Iteration whose policy sampled it (0 = pi0). */
  sourceIteration: number;
  /** Index of the response among its prompt's responses from the same sampler. */
  index: number;
}

/** A sample with the reward the ranking used (after any length penalty). */
export interface ScoredSample extends Sample {
  reward: number;
  /** What the labeler perceives (task.raterReward); the simulated human answers from it. Absent without a gold reward (files task). */
  raterReward?: number;
  /** The true gold reward, kept for diagnostics only; selection never reads it. Absent without one (files task). */
  gold?: number;
}

export interface PairProvenance {
  chosenTemperature: number;
  rejectedTemperature: number;
  chosenSampler: Sample['sampler'];
  rejectedSampler: Sample['sampler'];
  sourceIteration: number;
  stage: number;
  /** Who decided which response is chosen ('dataset': a user's preference file, offline.pairs). */
  labeler: 'reward' | 'bt-oracle' | 'dataset';
}

export interface Pair {
  promptIndex: number;
  prompt: number[];
  chosen: number[];
  rejected: number[];
  chosenReward: number;
  rejectedReward: number;
  /** chosenReward - rejectedReward under the ranking reward (negative when a noisy labeler disagreed). */
  margin: number;
  provenance: PairProvenance;
}
