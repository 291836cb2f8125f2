/**
 * Parquet through hyparquet (pure JavaScript, no native code, maintained, reads the snappy-compressed files that
 * Hugging Face datasets publish). hyparquet is an ES module; Node >= 20.19 loads it with require().
 */
import { parquetReadObjects } from 'hyparquet';
import { InvalidInputError } from '../errors';

export async function readParquetObjects(bytes: Uint8Array, file: string): Promise<Record<string, unknown>[]> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    const rows = await parquetReadObjects({ file: buffer, rowFormat: 'object' });
    return rows.map((r) => toPlain(r) as Record<string, unknown>);
  } catch (e) {
    throw new InvalidInputError(`${file}: not a readable Parquet file (${(e as Error).message})`);
  }
}

/** BigInt (int64 columns) becomes a number so rows look like their JSONL twins. */
function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toPlain(x)]));
  }
  return v;
}
