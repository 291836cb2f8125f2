import { z } from 'zod';
import { CampaignSpecSchema } from './campaign';

/**
 * Every leaf field of the campaign spec, read from the schema's JSON Schema (zod's own export), so that the
 * README's spec reference and the table-driven schema tests can never drift from the schema itself.
 */

export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  minLength?: number;
  pattern?: string;
  default?: unknown;
  description?: string;
}

export interface SpecField {
  path: string[];
  /** Variant choices the field lives under, e.g. [{path: ['policy','source'], value: 'builtin'}]. */
  when: Array<{ path: string[]; value: string }>;
  schema: JsonSchema;
  /** Must be written (no default). */
  required: boolean;
  description?: string;
  /** The field is a union's tag (policy.source, task.name, reward.source.kind). */
  discriminator?: boolean;
}

export function campaignJsonSchema(): JsonSchema {
  return z.toJSONSchema(CampaignSpecSchema, { io: 'input' }) as JsonSchema;
}

function variantsOf(s: JsonSchema): JsonSchema[] | undefined {
  return s.oneOf ?? s.anyOf;
}

function discriminatorOf(variants: JsonSchema[]): string {
  const first = variants[0].properties ?? {};
  const key = Object.keys(first).find((k) => variants.every((v) => v.properties?.[k]?.const !== undefined));
  if (!key) throw new Error('union without a discriminator: spec-fields only understands discriminated unions');
  return key;
}

export function specFields(root: JsonSchema = campaignJsonSchema()): SpecField[] {
  const out: SpecField[] = [];
  const walk = (node: JsonSchema, path: string[], when: SpecField['when'], parentDefault: unknown) => {
    const variants = variantsOf(node);
    if (variants) {
      const tag = discriminatorOf(variants);
      const values = variants.map((v) => String(v.properties![tag].const));
      const tagDefault = (parentDefault as Record<string, unknown> | undefined)?.[tag];
      out.push({
        path: [...path, tag], when, discriminator: true, required: tagDefault === undefined,
        schema: { type: 'string', enum: values, ...(tagDefault !== undefined ? { default: tagDefault } : {}) },
        description: variants.map((v) => `\`${String(v.properties![tag].const)}\`: ${v.properties![tag].description ?? ''}`).join(' '),
      });
      for (const v of variants) {
        const value = String(v.properties![tag].const);
        walkObject({ ...v, properties: Object.fromEntries(Object.entries(v.properties!).filter(([k]) => k !== tag)) }, path, [...when, { path: [...path, tag], value }]);
      }
      return;
    }
    if (node.properties) walkObject(node, path, when);
  };
  const walkObject = (node: JsonSchema, path: string[], when: SpecField['when']) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const p = [...path, key];
      if (child.properties || variantsOf(child)) walk(child, p, when, child.default);
      else out.push({ path: p, when, schema: child, required: (node.required ?? []).includes(key) && child.default === undefined, description: child.description });
    }
  };
  walk(root, [], [], undefined);
  return out;
}
