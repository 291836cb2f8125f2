/**
 * The prompts of a `files` task as the policy reads them: each row of task.prompts / task.evalPrompts rendered
 * (plain text as written; a conversation through the policy's chat template with the generation prompt) and
 * encoded by the policy's tokenizer without added special tokens (as TRL tokenizes prompts).
 *
 * Prompts that do not fit: a prompt whose tokens plus sampling.maxNewTokens exceed the model's context is skipped and
 * counted (the counts go into setup's output and its log line), since a long tail of long prompts is normal in real
 * data and truncating a prompt changes its question. A file in which no prompt fits is refused, with the longest
 * prompt that would be needed and the context.
 *
 * The files are JSONL or Parquet (engine/data/rows.ts). Reading is asynchronous (the Parquet reader is), so the set is
 * loaded here before the task is built from it (tasks/index.ts loadTask); the task itself stays a plain object.
 */
import type { PromptValue } from '../data/messages';
import { readPromptFile } from '../data/prompts';
import { InvalidInputError } from '../errors';
import { requireUserFile } from '../preference/user-file';
import { renderPrompt, type ChatTemplate } from '../tokenizer/chat-template';
import type { Tokenizer } from '../tokenizer/types';

export interface PromptRecord {
  /** Where the row is: "file:line" (JSONL) or "file row N" (Parquet). */
  where: string;
  /** As the file gives it: what an `activity` reward worker receives. */
  prompt: PromptValue;
  /** The rendered prompt's token ids. */
  ids: number[];
}

export interface FilesPromptSet { records: PromptRecord[]; skipped: number; rows: number }

export interface PolicyText {
  tokenizer: Tokenizer;
  template: ChatTemplate | undefined;
  /** The policy's model directory, named in "no chat template" errors. */
  modelDir: string;
  /** Longest prompt + response, in tokens. */
  context: number;
  maxNewTokens: number;
}

/** `specPath` is the spec's path (task.prompts or task.evalPrompts), read from under the store `root`. */
export async function loadPromptSet(root: string, field: string, specPath: string, policy: PolicyText): Promise<FilesPromptSet> {
  const file = await requireUserFile(root, field, specPath, 'a JSONL or Parquet file of {"prompt": ...} rows');
  const rows = await readPromptFile(file, field);
  const budget = policy.context - policy.maxNewTokens;
  if (budget < 1) throw new InvalidInputError(`sampling.maxNewTokens: ${policy.maxNewTokens} leaves no room for a prompt in the model's context of ${policy.context} tokens; lower it`);
  const records: PromptRecord[] = [];
  let longest = 0;
  for (const row of rows) {
    const ids = policy.tokenizer.encode(renderPrompt(row.prompt, policy.template, row.where, policy.modelDir));
    if (ids.length === 0) throw new InvalidInputError(`${row.where}: the prompt renders to no tokens`);
    longest = Math.max(longest, ids.length);
    if (ids.length <= budget) records.push({ where: row.where, prompt: row.prompt, ids });
  }
  if (records.length === 0) {
    throw new InvalidInputError(`${field}: none of the ${rows.length} prompts of '${specPath}' fits: the shortest needs more than ${budget} tokens (context ${policy.context} - sampling.maxNewTokens ${policy.maxNewTokens}), the longest ${longest}; lower sampling.maxNewTokens or use shorter prompts`);
  }
  return { records, skipped: rows.length - records.length, rows: rows.length };
}
