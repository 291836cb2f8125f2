import YAML from 'yaml';
import { parseCampaignSpec, parseCampaignSpecText } from '../../schemas/parse';
import { specFields, type JsonSchema, type SpecField } from '../../schemas/spec-fields';
import { specError } from '../support/spec-error';

/**
 * Table-driven over every leaf field of the schema (read from the schema itself, so a new field is covered
 * the day it is added): a good value parses to itself, and bad values fail with the field's full path, a
 * message saying what is wrong, and the allowed values for closed sets; in JSON and in YAML.
 */

const fields = specFields();
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const pathText = (p: Array<string | number>) => p.reduce<string>((o, k) => (typeof k === 'number' ? `${o}[${k}]` : o ? `${o}.${k}` : k), '');

function setAt(obj: Record<string, any>, path: string[], value: unknown) {
  let node = obj;
  for (const k of path.slice(0, -1)) node = node[k] ??= {};
  node[path[path.length - 1]] = value;
}
function getAt(obj: any, path: string[]) {
  return path.reduce((o, k) => o?.[k], obj);
}

function placeholder(s: JsonSchema): unknown {
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  if (s.type === 'string') return 'data/file.jsonl';
  throw new Error(`no placeholder for ${JSON.stringify(s)}`);
}

/** A spec that selects the field's union variants and fills that variant's required siblings. */
function baseFor(field: SpecField, tagValue?: unknown): Record<string, any> {
  const spec: Record<string, any> = {};
  const when = [...field.when];
  // A union's tag: pick a variant (its default unless told) so the rest of the object is checked too.
  if (field.discriminator) when.push({ path: field.path, value: String(tagValue ?? field.schema.default ?? field.schema.enum![0]) });
  for (const w of when) setAt(spec, w.path, w.value);
  const sameVariant = (f: SpecField) => JSON.stringify(f.when) === JSON.stringify(when);
  for (const f of fields) if (f !== field && f.required && sameVariant(f)) setAt(spec, f.path, placeholder(f.schema));
  return spec;
}

// Values the generic rule would pick that break a cross-field rule (dModel % heads).
const GOOD_OVERRIDES: Record<string, unknown> = { 'policy.model.dModel': 128 };

/** Patterned strings other than the campaign name: a value that matches, and the refusal of one that does not. */
const PATTERNS: Record<string, { good: string; message: string }> = {
  '^[1-9][0-9]*(ms|s|m|h|d)$': { good: '90s', message: 'must be a duration like 30s, 10m or 2h' },
};

function goodValues(f: SpecField): unknown[] {
  const s = f.schema;
  const key = f.path.join('.');
  if (key in GOOD_OVERRIDES) return [GOOD_OVERRIDES[key]];
  if (s.enum) return s.enum;
  switch (s.type) {
    case 'boolean': return [true, false];
    case 'integer': case 'number': {
      const out: number[] = [];
      if (s.minimum !== undefined) out.push(s.minimum);
      if (s.exclusiveMinimum !== undefined) out.push(s.type === 'integer' ? s.exclusiveMinimum + 1 : s.exclusiveMinimum + 0.001);
      if (s.maximum !== undefined && s.maximum < MAX_SAFE) out.push(s.maximum);
      return out.length ? out : [s.default as number];
    }
    case 'string': return [s.pattern ? (PATTERNS[s.pattern]?.good ?? 'my-campaign.v2') : 'some/file.jsonl'];
    case 'array': return [[0.5], [1, 0.9, 0.8]];
    default: throw new Error(`no good values for ${key}`);
  }
}

interface BadCase { value: unknown; path: Array<string | number>; message: string }

function badCases(f: SpecField): BadCase[] {
  const s = f.schema;
  const at = (value: unknown, message: string, extra: Array<string | number> = []): BadCase => ({ value, message, path: [...f.path, ...extra] });
  const allowed = s.enum ? ` (allowed: ${s.enum.join(' | ')})` : '';
  if (s.enum) return [at('bogus', `got "bogus"${allowed}`), at(7, `got 7${allowed}`)];
  switch (s.type) {
    case 'boolean': return [at('yes', 'expected true or false, got "yes"'), at(1, 'expected true or false, got 1')];
    case 'integer': case 'number': {
      const out = [at('3', `expected ${s.type === 'integer' ? 'an integer' : 'a number'}, got "3"`), at(null, 'got null')];
      if (s.type === 'integer') out.push(at(1.5, 'expected an integer, got 1.5'));
      if (s.minimum !== undefined) out.push(at(s.minimum - 1, `must be >= ${s.minimum} (got ${s.minimum - 1})`));
      // Integer bounds read as closed ranges: "> 0" is said "must be >= 1".
      if (s.exclusiveMinimum !== undefined) {
        out.push(at(s.exclusiveMinimum, `must be ${s.type === 'integer' ? `>= ${s.exclusiveMinimum + 1}` : `> ${s.exclusiveMinimum}`} (got ${s.exclusiveMinimum})`));
      }
      if (s.maximum !== undefined && s.maximum < MAX_SAFE) out.push(at(s.maximum + 1, `must be <= ${s.maximum} (got ${s.maximum + 1})`));
      if (s.exclusiveMaximum !== undefined) out.push(at(s.exclusiveMaximum, `must be < ${s.exclusiveMaximum} (got ${s.exclusiveMaximum})`));
      return out;
    }
    case 'string': {
      const out = [at(42, 'expected a string, got 42')];
      if (s.minLength) out.push(at('', 'got ""'));
      if (s.pattern) out.push(at('Has Spaces', PATTERNS[s.pattern]?.message ?? 'must be 1-63 chars'));
      return out;
    }
    case 'array':
      return [
        at(0.5, 'expected a list, got 0.5'),
        at([], 'must have at least 1 item'),
        at([1, 'hot'], 'expected a number, got "hot"', [1]),
        at([1, 0], 'must be > 0 (got 0)', [1]),
      ];
    default: throw new Error(`no bad values for ${f.path.join('.')}`);
  }
}

test('the table covers every section of the spec, including every union variant', () => {
  const sections = new Set(fields.map((f) => f.path[0]));
  expect([...sections].sort()).toEqual(['algorithm', 'budget', 'evaluation', 'execution', 'iterations', 'name', 'offline', 'pairs', 'policy',
    'reference', 'rejectionSampling', 'reward', 'sampling', 'seed', 'task', 'update'].sort());
  const variants = new Set(fields.flatMap((f) => f.when.map((w) => `${w.path.join('.')}=${w.value}`)));
  expect([...variants].sort()).toEqual(['policy.source=builtin', 'policy.source=hf', 'reward.source.kind=activity', 'reward.source.kind=bt-model', 'reward.source.kind=bt-oracle',
    'reward.source.kind=onnx', 'task.name=bandit', 'task.name=files', 'task.name=text'].sort());
  expect(fields.length).toBeGreaterThan(70);
});

describe.each(fields.map((f) => [pathText(f.path) + (f.when.length ? ` (${f.when.map((w) => w.value).join(',')})` : ''), f] as const))('%s', (_name, field) => {
  test('good values parse to themselves', () => {
    for (const value of goodValues(field)) {
      const input = baseFor(field, value);
      setAt(input, field.path, value);
      expect(getAt(parseCampaignSpec(input), field.path)).toEqual(value);
    }
  });

  test(field.required ? 'is required' : 'has a default when omitted', () => {
    const input = baseFor(field);
    // A union's tag defaults only when its whole object is omitted (prefault), e.g. no `policy:` at all.
    if (field.discriminator) delete getAt(input, field.path.slice(0, -2))?.[field.path[field.path.length - 2]];
    if (field.required) {
      const err = specError(() => parseCampaignSpec(input));
      expect(err.issues).toContainEqual({ path: pathText(field.path), message: expect.stringMatching(/^is required/) });
    } else {
      const parsed = parseCampaignSpec(input);
      expect(getAt(parsed, field.path)).toEqual(field.schema.default);
    }
  });

  test.each(badCases(field).map((c) => [JSON.stringify(c.value), c] as const))('bad value %s is refused with path and reason, in JSON and YAML', (_v, bad) => {
    const input = baseFor(field);
    setAt(input, field.path, bad.value);
    const fromObject = specError(() => parseCampaignSpec(input, 'spec.yaml'));
    const fromJson = specError(() => parseCampaignSpecText(JSON.stringify(input, null, 2), 'json', 'spec.json'));
    const fromYaml = specError(() => parseCampaignSpecText(YAML.stringify(input), 'yaml', 'spec.yaml'));
    for (const err of [fromObject, fromJson, fromYaml]) {
      const line = err.issues.find((i) => i.path === pathText(bad.path));
      expect(line).toBeDefined();
      expect(line!.message).toContain(bad.message);
      expect(err.message).toContain(`\n  ${pathText(bad.path)}: ${line!.message}`);
    }
    expect(fromYaml.issues).toEqual(fromObject.issues);
    expect(fromJson.issues).toEqual(fromObject.issues);
  });

  test('an unknown field beside it is refused, naming the allowed fields', () => {
    const input = baseFor(field);
    const parent = field.path.slice(0, -1);
    setAt(input, [...parent, 'notAField'], 1);
    const err = specError(() => parseCampaignSpec(input));
    const issue = err.issues.find((i) => i.path === pathText([...parent, 'notAField']));
    expect(issue?.message).toMatch(/^unknown field/);
    expect(issue?.message).toMatch(new RegExp(`\\(allowed: .*\\b${field.path[field.path.length - 1]}\\b`));
  });
});

test('every problem in a spec is reported at once, one line each', () => {
  const input: Record<string, any> = {};
  const expected: string[] = [];
  // One bad value per field outside unions (unions report only their tag until it is valid).
  for (const f of fields.filter((x) => x.when.length === 0 && !x.discriminator)) {
    const bad = badCases(f)[0];
    setAt(input, f.path, bad.value);
    expected.push(pathText(bad.path));
  }
  const err = specError(() => parseCampaignSpec(input));
  expect(err.issues.map((i) => i.path).sort()).toEqual(expected.sort());
  expect(err.message.split('\n')).toHaveLength(expected.length + 1);
});
