/**
 * A reward model directory as Optimum exports one for sequence classification (model.onnx, config.json,
 * tokenizer.json, tokenizer_config.json, and its chat template): it scores (prompt, response) the way it was trained
 * to read them, through its own tokenizer and chat template, whatever the policy's are. A conversational prompt and
 * the response as the assistant's turn are rendered by the reward model's chat template (no generation prompt); a
 * plain-text prompt is followed by the response, as TRL's reward trainer concatenates standard rows. The text is
 * encoded without added special tokens, as transformers' apply_chat_template does.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PromptValue } from '../data/messages';
import { InvalidInputError } from '../errors';
import { loadChatTemplate, type ChatTemplate } from '../tokenizer/chat-template';
import { loadHfTokenizerFromDir } from '../tokenizer/hf';
import type { Tokenizer } from '../tokenizer/types';
import { loadOnnxRewardModel } from './onnx-reward';
import { requireUserFile } from './user-file';

export interface TextRow {
  prompt: PromptValue;
  response: string;
  /** Where the prompt came from ("file:line"), named if the chat template fails on it. */
  where?: string;
}

export interface TextRewardModel {
  readonly dir: string;
  /** The exact text the model reads for a row (what is tokenized). */
  text(row: TextRow): string;
  score(rows: TextRow[]): Promise<Float64Array>;
}

const FIELD = 'reward.source.model';

async function padIdOf(dir: string, tokenizer: Tokenizer): Promise<number> {
  try {
    const config = JSON.parse(await fs.readFile(path.join(dir, 'config.json'), 'utf8')) as { pad_token_id?: unknown };
    if (typeof config.pad_token_id === 'number') return config.pad_token_id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new InvalidInputError(`${FIELD}: ${path.join(dir, 'config.json')} is not readable JSON (${(e as Error).message})`);
  }
  // Sequence classifiers find the last real token by the pad id; without one in config.json, the tokenizer's.
  return tokenizer.padId;
}

/** Confinement and layout of a reward.source.model directory without loading the model (setup's early check). */
export async function checkOnnxRewardDir(root: string, specPath: string, tokenizer?: string): Promise<string> {
  const dir = await requireUserFile(root, FIELD, specPath, 'an Optimum sequence-classification export (model.onnx, tokenizer.json, tokenizer_config.json)');
  if (tokenizer !== undefined) throw new InvalidInputError(`reward.source.tokenizer: '${specPath}' is a model directory with its own tokenizer.json; remove reward.source.tokenizer (it goes with a bare .onnx file)`);
  for (const name of ['model.onnx', 'tokenizer.json']) {
    await fs.access(path.join(dir, name)).catch(() => {
      throw new InvalidInputError(`${FIELD}: ${path.join(dir, name)} does not exist; the directory must hold an Optimum sequence-classification export (model.onnx, tokenizer.json, tokenizer_config.json)`);
    });
  }
  return dir;
}

/** `specPath` is reward.source.model as the spec writes it, when it names a directory under the store root. */
export async function loadOnnxRewardModelDir(root: string, specPath: string, options: { threads: number }): Promise<TextRewardModel> {
  const dir = await checkOnnxRewardDir(root, specPath);
  const tokenizer = await loadHfTokenizerFromDir(dir);
  const template: ChatTemplate | undefined = await loadChatTemplate(dir);
  const model = await loadOnnxRewardModel(root, path.join(dir, 'model.onnx'), { threads: options.threads, padId: await padIdOf(dir, tokenizer) });
  const text = (row: TextRow): string => {
    if (typeof row.prompt === 'string') return row.prompt + row.response;
    if (!template) {
      throw new InvalidInputError(`${row.where ?? FIELD}: the prompt is a conversation but the reward model ${dir} has no chat template; add chat_template.jinja (or "chat_template" in its tokenizer_config.json)`);
    }
    return template.render([...row.prompt, { role: 'assistant', content: row.response }], { addGenerationPrompt: false, where: row.where ?? FIELD });
  };
  return {
    dir,
    text,
    async score(rows) {
      const ids = rows.map((r) => tokenizer.encode(text(r)));
      return model.score(ids, ids.map(() => []));
    },
  };
}

/** Whether reward.source.model names a directory (an Optimum export) rather than a bare .onnx file. */
export async function isRewardModelDir(root: string, specPath: string): Promise<boolean> {
  const file = await requireUserFile(root, FIELD, specPath, 'the reward model (an Optimum export directory or its .onnx file)');
  return (await fs.stat(file)).isDirectory();
}
