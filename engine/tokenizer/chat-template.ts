/**
 * A model's chat template, rendered by @huggingface/jinja (the Jinja implementation transformers.js uses), never by
 * hand. Where it comes from, as transformers loads it: `chat_template.jinja` in the model directory (what current
 * transformers writes), else tokenizer_config.json's `chat_template` (a string, or a list of named templates of which
 * 'default' is used). The template sees what transformers' apply_chat_template passes: messages,
 * add_generation_prompt and the special tokens (bos_token, eos_token, pad_token, unk_token).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Template } from '@huggingface/jinja';
import type { Message, PromptValue } from '../data/messages';
import { InvalidInputError } from '../errors';

export interface RenderOptions {
  addGenerationPrompt: boolean;
  /** The data row being rendered ("file:line"), named in a render error. */
  where: string;
}

export interface ChatTemplate {
  /** The file the template was read from. */
  readonly source: string;
  render(messages: Message[], options: RenderOptions): string;
}

type TokenRef = string | { content?: string } | null | undefined;
const SPECIAL = ['bos_token', 'eos_token', 'pad_token', 'unk_token'] as const;

function tokenText(r: TokenRef): string | undefined {
  return typeof r === 'string' ? r : (r?.content ?? undefined);
}

/** `config` is tokenizer_config.json's object (for the special tokens); `source` names the template's file. */
export function createChatTemplate(text: string, config: Record<string, unknown>, source: string): ChatTemplate {
  let template: Template;
  try {
    template = new Template(text);
  } catch (e) {
    throw new InvalidInputError(`${source}: the chat template does not parse (${(e as Error).message})`);
  }
  const specials: Record<string, string> = {};
  for (const name of SPECIAL) {
    const t = tokenText(config[name] as TokenRef);
    if (t !== undefined) specials[name] = t;
  }
  return {
    source,
    render(messages, options) {
      try {
        return template.render({ ...specials, messages, add_generation_prompt: options.addGenerationPrompt });
      } catch (e) {
        throw new InvalidInputError(`${options.where}: the chat template of ${source} failed on this row (${(e as Error).message})`);
      }
    },
  };
}

export function templateOfConfig(value: unknown, file: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value as { name?: unknown; template?: unknown }[];
    const chosen = named.find((t) => t?.name === 'default');
    if (chosen && typeof chosen.template === 'string') return chosen.template;
    throw new InvalidInputError(`${file}: "chat_template" is a list without a 'default' entry (names: ${named.map((t) => JSON.stringify(t?.name)).join(', ')})`);
  }
  throw new InvalidInputError(`${file}: "chat_template" is ${typeof value}; expected a string or a list of {name, template}`);
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidInputError(`${file}: cannot read (${(e as Error).message})`);
  }
}

/** The chat template of the model directory `dir`, or undefined when it has none. */
export async function loadChatTemplate(dir: string): Promise<ChatTemplate | undefined> {
  const configFile = path.join(dir, 'tokenizer_config.json');
  const configText = await readIfExists(configFile);
  let config: Record<string, unknown> = {};
  if (configText !== undefined) {
    try {
      config = JSON.parse(configText) as Record<string, unknown>;
    } catch (e) {
      throw new InvalidInputError(`${configFile}: not JSON (${(e as Error).message})`);
    }
  }
  const jinjaFile = path.join(dir, 'chat_template.jinja');
  const jinja = await readIfExists(jinjaFile);
  if (jinja !== undefined) return createChatTemplate(jinja, config, jinjaFile);
  const text = templateOfConfig(config.chat_template, configFile);
  return text === undefined ? undefined : createChatTemplate(text, config, configFile);
}

/**
 * The text the policy continues: a standard prompt as written; a conversation through the chat template with the
 * generation prompt (TRL's maybe_apply_chat_template). `modelDir` names the directory in the no-template error.
 */
export function renderPrompt(prompt: PromptValue, template: ChatTemplate | undefined, where: string, modelDir: string): string {
  if (typeof prompt === 'string') return prompt;
  if (!template) {
    throw new InvalidInputError(`${where}: the prompt is a conversation but ${modelDir} has no chat template; add "chat_template" to its tokenizer_config.json or a chat_template.jinja, or give plain-text prompts`);
  }
  return template.render(prompt, { addGenerationPrompt: true, where });
}

/**
 * A conversational completion as the text that follows the rendered prompt: render(prompt + completion) minus
 * render(prompt, generation prompt), as TRL does; a template whose rendering of the longer conversation does not
 * start with the prompt's cannot be split this way, and is refused naming the row.
 */
export function renderCompletion(prompt: Message[], completion: Message[], template: ChatTemplate, where: string): string {
  const head = template.render(prompt, { addGenerationPrompt: true, where });
  const whole = template.render([...prompt, ...completion], { addGenerationPrompt: false, where });
  if (!whole.startsWith(head)) {
    throw new InvalidInputError(`${where}: the chat template of ${template.source} renders the prompt with its generation prompt as a text that the full conversation does not start with, so the completion cannot be cut out`);
  }
  return whole.slice(head.length);
}
