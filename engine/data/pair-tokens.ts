/**
 * offline.pairs rows (TRL preference format) as the policy trains on them, the way TRL's DPO trainer tokenizes them:
 * the prompt rendered like a `files` prompt (engine/tasks/files-prompts.ts), the completions as text (a conversational
 * completion is what the chat template adds after the prompt's generation prompt, engine/tokenizer/chat-template.ts),
 * encoded without special tokens and followed by the end-of-sequence token. A pair whose prompt plus longer completion
 * exceeds the context is skipped and counted, like a prompt that does not fit.
 */
import type { Pair } from '../preference/types';
import { renderCompletion, renderPrompt, type ChatTemplate } from '../tokenizer/chat-template';
import type { Tokenizer } from '../tokenizer/types';
import { InvalidInputError } from '../errors';
import type { PreferenceRow } from './preference-pairs';

export interface PairTokenizer { tokenizer: Tokenizer; template: ChatTemplate | undefined; modelDir: string; context: number }

function completionText(row: PreferenceRow, which: 'chosen' | 'rejected', p: PairTokenizer): string {
  const completion = row[which];
  if (typeof completion === 'string') return completion;
  if (typeof row.prompt === 'string' || !p.template) {
    throw new InvalidInputError(`${row.where}: "${which}" is a conversation but ${p.modelDir} has no chat template; add one, or give the pair in the standard (string) format`);
  }
  return renderCompletion(row.prompt, completion, p.template, row.where);
}

export interface TokenizedPairs { pairs: Pair[]; skipped: number }

export function tokenizePreferenceRows(rows: PreferenceRow[], p: PairTokenizer): TokenizedPairs {
  const pairs: Pair[] = [];
  let skipped = 0;
  rows.forEach((row, i) => {
    const prompt = p.tokenizer.encode(renderPrompt(row.prompt, p.template, row.where, p.modelDir));
    const chosen = [...p.tokenizer.encode(completionText(row, 'chosen', p)), p.tokenizer.eosId];
    const rejected = [...p.tokenizer.encode(completionText(row, 'rejected', p)), p.tokenizer.eosId];
    if (prompt.length + Math.max(chosen.length, rejected.length) > p.context) { skipped++; return; }
    // Scores, when the dataset has them, are the pair's rewards; a pair without them still says chosen > rejected.
    const chosenReward = row.scoreChosen ?? 1;
    const rejectedReward = row.scoreRejected ?? 0;
    pairs.push({
      promptIndex: i, prompt, chosen, rejected, chosenReward, rejectedReward, margin: chosenReward - rejectedReward,
      provenance: { chosenTemperature: 0, rejectedTemperature: 0, chosenSampler: 'initial', rejectedSampler: 'initial', sourceIteration: 0, stage: 0, labeler: 'dataset' },
    });
  });
  if (pairs.length === 0) throw new InvalidInputError(`offline.pairs: none of the ${rows.length} pairs fits the model's context of ${p.context} tokens; use shorter pairs or a model with a longer context`);
  return { pairs, skipped };
}
