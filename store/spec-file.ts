import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CampaignSpec } from '../schemas/campaign';
import { applySetOverrides, parseCampaignSpec, parseSpecText, SpecError, type SpecFormat } from '../schemas/parse';

/** Reading spec files: the one place specs touch the disk (schemas/ stays pure). */

const FORMATS: Record<string, SpecFormat> = { '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml' };

/** The raw spec object in a file, before validation (for `--set` overrides and forks). */
export function readCampaignSpecInput(file: string): unknown {
  const format = FORMATS[path.extname(file).toLowerCase()];
  if (!format) {
    throw new SpecError([{ path: '(file)', message: `unsupported extension "${path.extname(file)}" (allowed: .yaml | .yml | .json)` }], file);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new SpecError([{ path: '(file)', message: `cannot read ${path.resolve(file)}: ${why}` }], file);
  }
  return parseSpecText(text, format, file);
}

/** Load and validate a spec file (.yaml, .yml or .json), applying `--set path=value` overrides first. */
export function loadCampaignSpecFile(file: string, overrides: readonly string[] = []): CampaignSpec {
  const input = readCampaignSpecInput(file);
  return parseCampaignSpec(overrides.length ? applySetOverrides(input, overrides) : input, file);
}
