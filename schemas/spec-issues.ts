import type { z } from 'zod';
import type { SpecIssue } from './spec-error';

/**
 * Turns zod issues into one line per problem, in the user's words: the field path, what is wrong with the
 * value they wrote, and the allowed values where there is a closed set (enums, discriminators, field names).
 */

type Key = PropertyKey;

export function formatPath(path: readonly Key[]): string {
  if (path.length === 0) return '(root)';
  return path.reduce<string>((out, k) => (typeof k === 'number' ? `${out}[${k}]` : out ? `${out}.${String(k)}` : String(k)), '');
}

/** The value the user wrote at `path`, for "got ..." in messages. */
export function valueAt(input: unknown, path: readonly Key[]): unknown {
  let v: any = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[k as any];
  }
  return v;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list (${v.length} item${v.length === 1 ? '' : 's'})`;
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function unwrap(schema: any): any {
  let s = schema;
  for (let i = 0; i < 20 && s; i++) {
    const def = s._zod?.def;
    if (!def) return s;
    if (['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(def.type)) s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else return s;
  }
  return s;
}

/** The object schema (after choosing union variants by the input) at `path`, if any. */
export function objectSchemaAt(root: z.ZodType, path: readonly Key[], input: unknown): any | undefined {
  let s: any = resolveUnion(unwrap(root), input);
  for (let i = 0; i < path.length; i++) {
    const k = path[i];
    const def = s?._zod?.def;
    if (!def) return undefined;
    if (def.type === 'object' && typeof k === 'string') s = def.shape[k];
    else if (def.type === 'array' && typeof k === 'number') s = def.element;
    else return undefined;
    s = resolveUnion(unwrap(s), valueAt(input, path.slice(0, i + 1)));
  }
  return s?._zod?.def?.type === 'object' ? s : undefined;
}

function resolveUnion(s: any, value: unknown): any {
  const def = s?._zod?.def;
  if (def?.type !== 'union' || !def.discriminator) return s;
  const tag = valueAt(value, [def.discriminator]);
  for (const option of def.options) {
    const lit = unwrap(option._zod.def.shape[def.discriminator]);
    if (lit?._zod?.def?.values?.includes(tag)) return option;
  }
  return undefined;
}

export function objectKeys(objectSchema: any): string[] {
  return Object.keys(objectSchema?._zod?.def?.shape ?? {});
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) { best = c; bestD = d; }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function isIntegerField(root: z.ZodType, path: readonly Key[], input: unknown): boolean {
  const last = path[path.length - 1];
  if (typeof last !== 'string') return false;
  return Boolean(unwrap(objectSchemaAt(root, path.slice(0, -1), input)?._zod.def.shape[last])?.isInt);
}

const allowed = (values: readonly unknown[]) => ` (allowed: ${values.map((v) => String(v)).join(' | ')})`;

const EXPECTED: Record<string, string> = {
  int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', object: 'a mapping of fields',
  array: 'a list', literal: 'a fixed value',
};

/**
 * Hook for unknown fields: the patch schema uses it to say "cannot be changed while running" instead of
 * "unknown field" for fields that exist in the spec but are frozen once a campaign starts.
 */
export type UnknownFieldMessage = (path: readonly Key[], key: string, allowedKeys: string[]) => string | undefined;

export function toSpecIssues(issues: readonly z.core.$ZodIssue[], root: z.ZodType, input: unknown, unknownField?: UnknownFieldMessage): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of issues) {
    const path = issue.path as Key[];
    const got = valueAt(input, path);
    const gotText = `got ${describeValue(got)}`;
    switch (issue.code) {
      case 'unrecognized_keys': {
        const keys = objectKeys(objectSchemaAt(root, path, input));
        for (const key of issue.keys) {
          const custom = unknownField?.(path, key, keys);
          const hint = didYouMean(key, keys);
          out.push({
            path: formatPath([...path, key]),
            message: custom ?? `unknown field${hint ? `; did you mean "${hint}"?` : ''}${allowed(keys)}`,
          });
        }
        break;
      }
      case 'invalid_value':
        out.push({ path: formatPath(path), message: `${got === undefined ? 'is required' : gotText}${allowed(issue.values)}` });
        break;
      case 'invalid_union': {
        const disc = (issue as any).discriminator as string | undefined;
        const options = (issue as any).options as unknown[] | undefined;
        if (disc && options) {
          // zod 4 puts the tag on the path; a non-mapping in the union's place is an invalid_type issue instead.
          const p = path[path.length - 1] === disc ? path : [...path, disc];
          const v = valueAt(input, p);
          out.push({ path: formatPath(p), message: `${v === undefined ? 'is required' : `got ${describeValue(v)}`}${allowed(options)}` });
        } else {
          out.push({ path: formatPath(path), message: `${issue.message} (${gotText})` });
        }
        break;
      }
      case 'invalid_type': {
        // zod reports "expected number" for a string given to an integer field; say "integer" when it is one.
        const expected = issue.expected === 'number' && isIntegerField(root, path, input) ? EXPECTED.int : EXPECTED[issue.expected] ?? issue.expected;
        out.push({ path: formatPath(path), message: got === undefined ? `is required (${expected})` : `expected ${expected}, ${gotText}` });
        break;
      }
      case 'too_small':
      case 'too_big': {
        const small = issue.code === 'too_small';
        const bound = small ? (issue as any).minimum : (issue as any).maximum;
        const inclusive = (issue as any).inclusive !== false;
        const custom = !/^Too (small|big)/.test(issue.message);
        let message: string;
        if (custom) message = issue.message;
        else if (issue.origin === 'array') message = small ? `must have at least ${bound} item${Number(bound) === 1 ? '' : 's'}` : `must have at most ${bound} items`;
        else if (issue.origin === 'string') message = small ? `must be at least ${bound} character${Number(bound) === 1 ? '' : 's'}` : `must be at most ${bound} characters`;
        else if (!inclusive && typeof bound === 'number' && isIntegerField(root, path, input)) message = `must be ${small ? '>=' : '<='} ${small ? bound + 1 : bound - 1}`;
        else message = `must be ${small ? '>' : '<'}${inclusive ? '=' : ''} ${bound}`;
        out.push({ path: formatPath(path), message: `${message} (${gotText})` });
        break;
      }
      case 'not_multiple_of':
        out.push({ path: formatPath(path), message: `must be a multiple of ${String(issue.divisor)} (${gotText})` });
        break;
      default:
        out.push({ path: formatPath(path), message: `${issue.message} (${gotText})` });
    }
  }
  return out;
}
