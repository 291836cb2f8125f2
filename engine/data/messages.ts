/**
 * Conversational rows in TRL's format: a list of {"role", "content"} messages. What each position may hold:
 * a prompt ends with a user message (the policy answers it, after the chat template's generation prompt);
 * a completion (chosen / rejected) is assistant messages.
 */
import { InvalidInputError } from '../errors';

export const ROLES = ['system', 'user', 'assistant', 'tool'] as const;
export type Role = (typeof ROLES)[number];
export interface Message { role: Role; content: string }

/** A prompt as the user wrote it: plain text, or a conversation that the chat template renders. */
export type PromptValue = string | Message[];

export function isConversation(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

/** Validates a message list; `what` names the column ("prompt", "chosen") and `where` the row. */
export function checkMessages(v: unknown[], what: string, where: string): Message[] {
  if (v.length === 0) throw new InvalidInputError(`${where}: "${what}" is an empty message list; give at least one {"role", "content"} message`);
  return v.map((m, i) => {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      throw new InvalidInputError(`${where}: "${what}"[${i}] is ${JSON.stringify(m)}; each message is an object {"role": ..., "content": "..."}`);
    }
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      throw new InvalidInputError(`${where}: "${what}"[${i}].role is ${JSON.stringify(role)}; use one of ${ROLES.join(', ')}`);
    }
    if (typeof content !== 'string') {
      throw new InvalidInputError(`${where}: "${what}"[${i}].content is ${JSON.stringify(content)}; it must be a string`);
    }
    return { role: role as Role, content };
  });
}

/** A prompt conversation must end with the user's turn: the policy's response is the assistant's next turn. */
export function checkPromptMessages(v: unknown[], what: string, where: string): Message[] {
  const messages = checkMessages(v, what, where);
  const last = messages[messages.length - 1];
  if (last.role !== 'user') {
    throw new InvalidInputError(`${where}: "${what}" ends with a '${last.role}' message; a prompt must end with a 'user' message (the response is the assistant's next turn)`);
  }
  return messages;
}

/** A completion (chosen, rejected) is the assistant's turn(s). */
export function checkCompletionMessages(v: unknown[], what: string, where: string): Message[] {
  const messages = checkMessages(v, what, where);
  const bad = messages.findIndex((m) => m.role !== 'assistant');
  if (bad >= 0) {
    throw new InvalidInputError(`${where}: "${what}"[${bad}].role is '${messages[bad].role}'; a completion is made of 'assistant' messages`);
  }
  return messages;
}

/** Plain-text or conversational prompt value of a row. */
export function promptValue(v: unknown, what: string, where: string): PromptValue {
  if (typeof v === 'string') {
    if (v.length === 0) throw new InvalidInputError(`${where}: "${what}" is an empty string`);
    return v;
  }
  if (isConversation(v)) return checkPromptMessages(v, what, where);
  throw new InvalidInputError(`${where}: "${what}" is ${v === undefined ? 'missing' : JSON.stringify(v)}; expected a string or a list of {"role", "content"} messages`);
}
