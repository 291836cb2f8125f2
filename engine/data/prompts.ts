/**
 * Prompt files of a `files` task, in TRL's prompt-only format: one row per prompt, `{"prompt": "..."}` (standard)
 * or `{"prompt": [{"role": "user", "content": "..."}]}` (conversational). Other columns are ignored, as TRL does.
 * A file must be one kind or the other: a chat template would otherwise treat half the prompts differently.
 */
import { InvalidInputError } from '../errors';
import { promptValue, type PromptValue } from './messages';
import { readDataRows, type DataRow } from './rows';

export interface PromptRow { where: string; prompt: PromptValue }

export function promptRows(rows: DataRow[], field: string): PromptRow[] {
  const out = rows.map((r) => ({ where: r.where, prompt: promptValue(r.value.prompt, 'prompt', r.where) }));
  const firstKind = typeof out[0].prompt;
  const other = out.find((r) => typeof r.prompt !== firstKind);
  if (other) {
    const kind = (p: PromptValue) => (typeof p === 'string' ? 'a string' : 'a message list');
    throw new InvalidInputError(`${field}: ${other.where}: "prompt" is ${kind(other.prompt)} but ${out[0].where} is ${kind(out[0].prompt)}; a file is all standard or all conversational`);
  }
  return out;
}

/** `file` is resolved already (under the store root); `field` names the spec field for errors. */
export async function readPromptFile(file: string, field: string): Promise<PromptRow[]> {
  return promptRows(await readDataRows(file, field), field);
}
