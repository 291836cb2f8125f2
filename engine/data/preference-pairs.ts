/**
 * Preference datasets in TRL's preference format, for offline.pairs: `prompt` / `chosen` / `rejected`, standard
 * (strings; chosen and rejected are the completions) or conversational (message lists; chosen and rejected are the
 * assistant's turns), with optional `score_chosen` / `score_rejected`. A conversational row without `prompt`
 * (TRL's implicit prompt) takes the messages that chosen and rejected share up to the last user turn as the prompt.
 */
import { InvalidInputError } from '../errors';
import { checkCompletionMessages, checkMessages, isConversation, promptValue, type Message, type PromptValue } from './messages';
import { readDataRows, type DataRow } from './rows';

export interface PreferenceRow {
  where: string;
  prompt: PromptValue;
  chosen: string | Message[];
  rejected: string | Message[];
  scoreChosen?: number;
  scoreRejected?: number;
}

function completion(v: unknown, what: string, conversational: boolean, where: string): string | Message[] {
  if (conversational) {
    if (!isConversation(v)) throw new InvalidInputError(`${where}: "${what}" is ${JSON.stringify(v)} but "prompt" is a message list; give "${what}" as a list of assistant messages`);
    return checkCompletionMessages(v, what, where);
  }
  if (typeof v !== 'string') throw new InvalidInputError(`${where}: "${what}" is ${v === undefined ? 'missing' : JSON.stringify(v)}; with a string "prompt" it must be a string`);
  return v;
}

function score(v: unknown, what: string, where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidInputError(`${where}: "${what}" is ${JSON.stringify(v)}; it must be a finite number`);
  return v;
}

/** Splits an implicit-prompt conversation pair into the shared prompt and the two assistant continuations. */
function implicitPrompt(chosen: unknown, rejected: unknown, where: string): { prompt: Message[]; chosen: Message[]; rejected: Message[] } {
  if (!isConversation(chosen) || !isConversation(rejected)) {
    throw new InvalidInputError(`${where}: "prompt" is missing; give "prompt", or conversational "chosen" and "rejected" that share their prompt messages`);
  }
  const c = checkMessages(chosen, 'chosen', where), r = checkMessages(rejected, 'rejected', where);
  let shared = 0;
  while (shared < c.length && shared < r.length && c[shared].role === r[shared].role && c[shared].content === r[shared].content) shared++;
  // The prompt ends at the last user message both share; everything after it is the two completions.
  let end = shared;
  while (end > 0 && c[end - 1].role !== 'user') end--;
  if (end === 0) throw new InvalidInputError(`${where}: "chosen" and "rejected" share no user message, so the prompt cannot be found; add a "prompt" column`);
  return {
    prompt: c.slice(0, end),
    chosen: checkCompletionMessages(c.slice(end), 'chosen', where),
    rejected: checkCompletionMessages(r.slice(end), 'rejected', where),
  };
}

export function preferenceRows(rows: DataRow[]): PreferenceRow[] {
  return rows.map(({ where, value }) => {
    const scores = { scoreChosen: score(value.score_chosen, 'score_chosen', where), scoreRejected: score(value.score_rejected, 'score_rejected', where) };
    const present = Object.fromEntries(Object.entries(scores).filter(([, s]) => s !== undefined));
    if (value.prompt === undefined) return { where, ...implicitPrompt(value.chosen, value.rejected, where), ...present };
    const prompt = promptValue(value.prompt, 'prompt', where);
    const conversational = typeof prompt !== 'string';
    return { where, prompt, chosen: completion(value.chosen, 'chosen', conversational, where), rejected: completion(value.rejected, 'rejected', conversational, where), ...present };
  });
}

export async function readPreferenceFile(file: string, field: string): Promise<PreferenceRow[]> {
  return preferenceRows(await readDataRows(file, field));
}
