/**
 * Rows of a user data file (prompts, preference pairs), whatever its format: JSONL (one JSON object per line) or
 * Parquet (the format Hugging Face datasets are stored in). Each row keeps where it came from (`where`: "file:line"
 * for JSONL, "file row N" for Parquet), so every later error can point at it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../errors';
import { readParquetObjects } from './parquet';

export interface DataRow {
  /** "file:line" (JSONL, 1-based line) or "file row N" (Parquet, 1-based row): the place an error names. */
  where: string;
  value: Record<string, unknown>;
}

/** JSONL rows: blank lines are skipped (they are common at the end of files); every other line must be an object. */
export function parseJsonlRows(text: string, file: string): DataRow[] {
  const rows: DataRow[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new InvalidInputError(`${where}: not JSON (${(e as Error).message}); each line must be one JSON object`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidInputError(`${where}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    }
    rows.push({ where, value: value as Record<string, unknown> });
  });
  return rows;
}

export const DATA_FORMATS = '.jsonl (one JSON object per line) or .parquet';

/** Reads `file` by its extension; `field` is the spec field that named it (for the error). */
export async function readDataRows(file: string, field: string): Promise<DataRow[]> {
  const ext = path.extname(file).toLowerCase();
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new InvalidInputError(`${field}: cannot read '${file}' (${(e as Error).message})`);
  }
  let rows: DataRow[];
  if (ext === '.jsonl' || ext === '.ndjson') rows = parseJsonlRows(bytes.toString('utf8'), file);
  else if (ext === '.parquet') rows = (await readParquetObjects(bytes, file)).map((value, i) => ({ where: `${file} row ${i + 1}`, value }));
  else throw new InvalidInputError(`${field}: '${file}' has extension '${ext}'; use ${DATA_FORMATS}`);
  if (rows.length === 0) throw new InvalidInputError(`${field}: '${file}' has no rows; it needs at least one`);
  return rows;
}
