import YAML from 'yaml';
import { CampaignSpecSchema, type CampaignSpec } from './campaign';
import { SpecError, type SpecIssue } from './spec-error';
import { toSpecIssues } from './spec-issues';

/**
 * Parsing a campaign spec: pure (no I/O), so workflows, activities and the CLI all validate the same way.
 * File reading lives in store/spec-file.ts.
 */

export { SpecError, type SpecIssue } from './spec-error';
export { applySetOverrides } from './overrides';
export { HyperparameterPatchSchema, applyHyperparameterPatch, type HyperparameterPatch } from './hyperparameters';

export type SpecFormat = 'json' | 'yaml';

/** Validate a spec object; every problem is reported at once, with its field path and allowed values. */
export function parseCampaignSpec(input: unknown, source?: string): CampaignSpec {
  const result = CampaignSpecSchema.safeParse(input);
  if (result.success) return result.data;
  throw new SpecError(toSpecIssues(result.error.issues, CampaignSpecSchema, input), source);
}

/** Parse spec text (JSON or YAML) into the raw input object, before schema validation. */
export function parseSpecText(text: string, format: SpecFormat, source?: string): unknown {
  const value = format === 'json' ? parseJson(text, source) : parseYaml(text, source);
  if (value === undefined || value === null) {
    throw new SpecError([{ path: '(root)', message: 'the spec is empty; write `{}` to accept every default' }], source);
  }
  return value;
}

export function parseCampaignSpecText(text: string, format: SpecFormat, source?: string): CampaignSpec {
  return parseCampaignSpec(parseSpecText(text, format, source), source);
}

function parseYaml(text: string, source?: string): unknown {
  // YAML 1.2 core schema: `yes`/`no`/`on` stay strings, so a typo cannot silently become a boolean.
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const issues: SpecIssue[] = [];
  for (const doc of list) {
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      const firstLine = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      issues.push({ path: pos ? `line ${pos.line}, column ${pos.col}` : '(yaml)', message: `YAML syntax: ${firstLine}` });
    }
  }
  if (list.length > 1) issues.push({ path: '(root)', message: `expected one YAML document, found ${list.length} (remove the extra "---")` });
  if (issues.length) throw new SpecError(issues, source);
  if (list.length === 0) return undefined;
  try {
    return list[0].toJS({ maxAliasCount: 100 });
  } catch (e) {
    // An alias bomb (a few lines that expand to millions of nodes) is invalid input, not a crash of the reader.
    const reason = (e as Error).message.split('\n')[0];
    throw new SpecError([{ path: '(yaml)', message: `${reason}; a spec needs few YAML aliases (*name): write the values out instead` }], source);
  }
}

function parseJson(text: string, source?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8's message may quote a snippet of the text and may lack a position: keep its first clause, and locate the
    // error with the YAML parser when V8 does not (JSON is YAML 1.2 flow syntax).
    const reason = (e as Error).message.split('\n')[0].replace(/, ".*$/, '').replace(/ in JSON at position \d+.*$/, '');
    const at = /at position (\d+)/.exec((e as Error).message);
    let where = '(json)';
    if (at) {
      const before = text.slice(0, Number(at[1]));
      where = `line ${before.split('\n').length}, column ${Number(at[1]) - before.lastIndexOf('\n')}`;
    } else {
      const pos = YAML.parseDocument(text, { prettyErrors: true }).errors[0]?.linePos?.[0];
      if (pos) where = `line ${pos.line}, column ${pos.col}`;
    }
    throw new SpecError([{ path: where, message: `JSON syntax: ${reason}` }], source);
  }
}
