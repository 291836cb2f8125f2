import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { ArtifactRefSchema, type ArtifactRef } from '../schemas/artifacts';
import { ArtifactCorruptError, InvalidArtifactKeyError } from './errors';

/** JSONL encoding and verified streaming decoding, shared by every store backend. */

const SKIP = Symbol('blank line');

function parseLine(line: string): unknown {
  if (line.trim() === '') return SKIP;
  try {
    return JSON.parse(line);
  } catch (e) {
    return e as Error;
  }
}

/** Rows as ~1 MiB chunks of JSONL: few writes, and memory stays bounded whatever the number of rows. */
export async function* encodeJsonl(rows: Iterable<unknown> | AsyncIterable<unknown>, counter: { rows: number }, uri: string): AsyncIterable<Uint8Array> {
  const CHUNK = 1 << 20;
  let parts: string[] = [];
  let size = 0;
  for await (const row of rows as AsyncIterable<unknown>) {
    const line = JSON.stringify(row);
    if (line === undefined) throw new TypeError(`row ${counter.rows} of ${uri} is not JSON-serializable (${typeof row})`);
    parts.push(line, '\n');
    size += line.length + 1;
    counter.rows++;
    if (size >= CHUNK) {
      yield Buffer.from(parts.join(''), 'utf8');
      parts = [];
      size = 0;
    }
  }
  if (parts.length) yield Buffer.from(parts.join(''), 'utf8');
}

/**
 * Rows of a JSONL byte stream, hashing as they pass: a sha256 mismatch is thrown at the end of the stream (after the
 * rows, which the caller must not trust until then), and a line that is not JSON after the hash check.
 */
export async function* parseJsonlStream<T>(chunks: AsyncIterable<Uint8Array>, ref: ArtifactRef, where = ''): AsyncIterable<T> {
  const hash = createHash('sha256');
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lineNo = 0;
  let badLine: { line: number; error: string } | undefined;
  for await (const chunk of chunks) {
    hash.update(chunk);
    // After a bad line keep hashing: a hash mismatch (corruption) is the more useful error to report.
    if (badLine) continue;
    const text = carry + decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      lineNo++;
      const row = parseLine(line);
      if (row === SKIP) continue;
      if (row instanceof Error) { badLine = { line: lineNo, error: row.message }; break; }
      yield row as T;
    }
    carry = badLine ? '' : text.slice(start);
  }
  const last = badLine ? SKIP : parseLine(carry + decoder.end());
  const actual = hash.digest('hex');
  if (actual !== ref.sha256) throw new ArtifactCorruptError(ref.uri, ref.sha256, actual, where);
  if (last instanceof Error) badLine = { line: lineNo + 1, error: last.message };
  if (badLine) throw new Error(`artifact ${ref.uri} line ${badLine.line} is not JSON (${badLine.error}); it was not written by putJsonl`);
  if (last !== SKIP) yield last as T;
}

export function checkRef(ref: ArtifactRef): ArtifactRef {
  const parsed = ArtifactRefSchema.safeParse(ref);
  if (!parsed.success) throw new InvalidArtifactKeyError('ref', ref, parsed.error.issues.map((i) => `${i.path.join('.') || 'ref'}: ${i.message}`).join('; '));
  return ref;
}
