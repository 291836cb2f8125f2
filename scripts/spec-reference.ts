import * as fs from 'node:fs';
import * as path from 'node:path';
import { specFields, type JsonSchema, type SpecField } from '../schemas/spec-fields';

/**
 * Generates README's "Spec reference" table from the campaign schema.
 *   npm run spec:reference           rewrite the README block
 *   npm run spec:reference -- --check exit 1 when the README block is stale
 */

export const START = '<!-- spec-reference:start -->';
export const END = '<!-- spec-reference:end -->';
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (v: unknown) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;

function range(s: JsonSchema): string {
  const int = s.type === 'integer';
  let lo = s.minimum !== undefined ? { v: s.minimum, open: false } : s.exclusiveMinimum !== undefined ? { v: s.exclusiveMinimum, open: true } : undefined;
  let hi = s.maximum !== undefined && s.maximum < MAX_SAFE ? { v: s.maximum, open: false } : s.exclusiveMaximum !== undefined ? { v: s.exclusiveMaximum, open: true } : undefined;
  // Integers read better with closed bounds: "> 0" is ">= 1".
  if (int && lo?.open) lo = { v: lo.v + 1, open: false };
  if (int && hi?.open) hi = { v: hi.v - 1, open: false };
  if (lo && hi) return ` in ${lo.open ? '(' : '['}${lo.v}, ${hi.v}${hi.open ? ')' : ']'}`;
  if (lo) return ` ${lo.open ? '>' : '>='} ${lo.v}`;
  if (hi) return ` ${hi.open ? '<' : '<='} ${hi.v}`;
  return '';
}

export function typeText(s: JsonSchema): string {
  if (s.enum) return s.enum.map(code).join(' | ');
  if (s.const !== undefined) return code(s.const);
  switch (s.type) {
    case 'integer': case 'number': return `${s.type}${range(s)}`;
    case 'boolean': return 'boolean';
    case 'string':
      if (s.pattern) return `string matching ${code(s.pattern)}`;
      return s.minLength ? 'non-empty string' : 'string';
    case 'array': return `list of ${s.items ? typeText(s.items) : 'values'}${s.minItems ? ` (at least ${s.minItems})` : ''}`;
    default: return s.type ?? 'value';
  }
}

function defaultText(f: SpecField): string {
  if (f.schema.default !== undefined) return code(f.schema.default);
  return f.required ? '**required**' : '(none)';
}

function descriptionText(f: SpecField): string {
  const when = f.when.length ? `*(${f.when.map((w) => `${w.path.join('.')} = ${w.value}`).join(', ')})* ` : '';
  return when + (f.description ?? '').replace(/\*/g, '\\*');
}

export function renderSpecReference(): string {
  const rows = specFields().map((f) => `| ${cell(code(f.path.join('.')))} | ${cell(typeText(f.schema))} | ${cell(defaultText(f))} | ${cell(descriptionText(f))} |`);
  return [
    '<!-- Generated from schemas/campaign.ts by `npm run spec:reference`; do not edit by hand. -->',
    '',
    '| Field | Type / allowed values | Default | Description |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The README with its spec-reference block replaced by `block`. */
export function withReference(readme: string, block: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${START} and ${END}`);
  return `${readme.slice(0, start + START.length)}\n${block}\n${readme.slice(end)}`;
}

export function readmeBlock(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${START} and ${END}`);
  return readme.slice(start + START.length, end).replace(/^\n/, '').replace(/\n$/, '');
}

if (require.main === module) {
  const readmePath = path.join(__dirname, '..', 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  const block = renderSpecReference();
  if (process.argv.includes('--check')) {
    if (readmeBlock(readme) !== block) {
      console.error('README.md spec reference is stale: run `npm run spec:reference`');
      process.exit(1);
    }
    console.log('README.md spec reference is up to date');
  } else {
    fs.writeFileSync(readmePath, withReference(readme, block));
    console.log(`README.md spec reference: ${block.split('\n').length - 4} fields`);
  }
}
