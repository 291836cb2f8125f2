/**
 * Python's json module (and so the temporalio Python SDK's default converter) writes float NaN and infinities as the
 * bare tokens NaN, Infinity and -Infinity, which are not JSON: JSON.parse fails on them, and a payload that cannot
 * be decoded would fail the receiving workflow task over and over instead of failing once with a message. This
 * decoder step rewrites those tokens (outside strings) to the strings "NaN", "Infinity" and "-Infinity", so the
 * value arrives and whoever checks it (the `activity` reward contract) refuses it naming the row.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';

const TOKENS = ['-Infinity', 'Infinity', 'NaN'];

/** The text with bare non-finite tokens quoted; undefined when it has none (then it is left alone). */
export function quoteNonFiniteTokens(text: string): string | undefined {
  let out = '';
  let changed = false;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') { inString = true; out += c; continue; }
    const token = TOKENS.find((t) => text.startsWith(t, i));
    if (token) { out += JSON.stringify(token); i += token.length - 1; changed = true; continue; }
    out += c;
  }
  return changed ? out : undefined;
}

const JSON_PLAIN = 'json/plain';

export class NonFiniteJsonCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const encoding = p.metadata?.encoding ? Buffer.from(p.metadata.encoding).toString() : '';
      if (encoding !== JSON_PLAIN || !p.data) return p;
      const text = Buffer.from(p.data).toString('utf8');
      // Only a payload that JSON cannot read is touched: valid JSON never changes meaning.
      if (!/NaN|Infinity/.test(text)) return p;
      try {
        JSON.parse(text);
        return p;
      } catch {
        const quoted = quoteNonFiniteTokens(text);
        return quoted === undefined ? p : { ...p, data: Buffer.from(quoted, 'utf8') };
      }
    });
  }
}
