import YAML from 'yaml';
import { SpecError, type SpecIssue } from './spec-error';

/**
 * The CLI's `--set path=value`: values are YAML scalars or flow collections (`0.2`, `rso`, `[1, 0.7]`,
 * `{kind: gold}`), set into the raw spec input before validation so errors name the full field path.
 */

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
}

export function applySetOverrides(specInput: unknown, assignments: readonly string[]): unknown {
  const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (specInput !== undefined && specInput !== null && !isMapping(specInput)) {
    throw new SpecError([{ path: '(root)', message: 'cannot apply --set to a spec that is not a mapping' }]);
  }
  const out = (clone(specInput ?? {}) as Record<string, unknown>);
  const issues: SpecIssue[] = [];
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    const field = eq < 0 ? '' : assignment.slice(0, eq).trim();
    const raw = eq < 0 ? '' : assignment.slice(eq + 1).trim();
    if (eq < 0 || !field) {
      issues.push({ path: '--set', message: `"${assignment}" is not of the form path=value (example: update.beta=0.2)` });
      continue;
    }
    const segments = field.split('.');
    const bad = segments.find((s) => s === '' || FORBIDDEN.has(s));
    if (bad !== undefined) {
      issues.push({ path: field, message: bad === '' ? 'empty path segment (write update.beta, not update..beta)' : `"${bad}" is not a spec field` });
      continue;
    }
    if (raw === '') {
      issues.push({ path: field, message: `--set ${field}= has no value (example: ${field}=0.2)` });
      continue;
    }
    let value: unknown;
    try {
      value = YAML.parse(raw);
    } catch (e) {
      issues.push({ path: field, message: `value ${JSON.stringify(raw)} is not a YAML scalar or flow collection: ${(e as Error).message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}` });
      continue;
    }
    let node: Record<string, unknown> = out;
    let failed = false;
    for (let i = 0; i < segments.length - 1; i++) {
      const next = node[segments[i]];
      if (next === undefined) node[segments[i]] = {};
      else if (!isMapping(next)) {
        issues.push({ path: segments.slice(0, i + 1).join('.'), message: `is ${JSON.stringify(next)}, not a mapping, so ${field} cannot be set inside it` });
        failed = true;
        break;
      }
      node = node[segments[i]] as Record<string, unknown>;
    }
    if (!failed) node[segments[segments.length - 1]] = value;
  }
  if (issues.length) throw new SpecError(issues, '--set', 'override');
  return out;
}
