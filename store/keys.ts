import * as path from 'node:path';
import type { ArtifactKey } from '../schemas/artifacts';
import { InvalidArtifactKeyError } from './errors';

/**
 * Artifact keys (campaign, iteration, step, name) map to `<root>/<campaign>/iter-<t>/<step>/<name>` and to
 * the uri `store://<campaign>/iter-<t>/<step>/<name>`. Components are plain names, so a key can never
 * spell `..`, an absolute path, or a store-internal file (those start with "."). `name` may have a few
 * `/`-separated segments (e.g. `checkpoints/step-20.safetensors`).
 */

const COMPONENT = /^[A-Za-z0-9][A-Za-z0-9._=+-]{0,127}$/;
const RULE = 'must be 1-128 chars of A-Z a-z 0-9 . _ = + -, starting with a letter or digit (no "/", "..", or leading ".")';
/**
 * A campaign may also hold ':': a campaign started by a Temporal Schedule has the workflow id
 * `<schedule-id>-<RFC 3339 time>` (`nightly-2026-12-04T02:00:00Z`), and its artifacts live under that id.
 */
const CAMPAIGN = /^[A-Za-z0-9][A-Za-z0-9._=+:-]{0,127}$/;
const CAMPAIGN_RULE = RULE.replace('. _ = + -', '. _ = + - :');
const MAX_NAME_SEGMENTS = 4;
export const URI_SCHEME = 'store://';

function checkComponent(field: string, value: unknown, pattern = COMPONENT, rule = RULE): string {
  if (typeof value !== 'string') throw new InvalidArtifactKeyError(field, value, 'must be a string');
  if (value.includes('\0')) throw new InvalidArtifactKeyError(field, value, 'contains a NUL byte');
  if (!pattern.test(value)) throw new InvalidArtifactKeyError(field, value, rule);
  return value;
}

export function validateKey(key: ArtifactKey): ArtifactKey {
  if (key === null || typeof key !== 'object') throw new InvalidArtifactKeyError('key', key, 'must be {campaign, iteration, step, name}');
  checkComponent('campaign', key.campaign, CAMPAIGN, CAMPAIGN_RULE);
  if (!Number.isSafeInteger(key.iteration) || key.iteration < 0) throw new InvalidArtifactKeyError('iteration', key.iteration, 'must be a non-negative integer');
  checkComponent('step', key.step);
  if (typeof key.name !== 'string') throw new InvalidArtifactKeyError('name', key.name, 'must be a string');
  const segments = key.name.split('/');
  if (segments.length > MAX_NAME_SEGMENTS) throw new InvalidArtifactKeyError('name', key.name, `has more than ${MAX_NAME_SEGMENTS} "/"-separated segments`);
  if (key.name.includes('\0')) throw new InvalidArtifactKeyError('name', key.name, 'contains a NUL byte');
  const bad = segments.find((s) => !COMPONENT.test(s));
  if (bad !== undefined) throw new InvalidArtifactKeyError('name', key.name, `segment ${JSON.stringify(bad)} ${RULE}`);
  return key;
}

/** Path segments below the root. */
export function keySegments(key: ArtifactKey): string[] {
  validateKey(key);
  return [key.campaign, `iter-${key.iteration}`, key.step, ...key.name.split('/')];
}

export function keyToUri(key: ArtifactKey): string {
  return URI_SCHEME + keySegments(key).join('/');
}

export function uriToKey(uri: string): ArtifactKey {
  if (typeof uri !== 'string' || !uri.startsWith(URI_SCHEME)) throw new InvalidArtifactKeyError('uri', uri, `must start with ${URI_SCHEME}`);
  const parts = uri.slice(URI_SCHEME.length).split('/');
  const iter = /^iter-(0|[1-9][0-9]*)$/.exec(parts[1] ?? '');
  if (parts.length < 4 || !iter) throw new InvalidArtifactKeyError('uri', uri, 'must be store://<campaign>/iter-<t>/<step>/<name>');
  return validateKey({ campaign: parts[0], iteration: Number(iter[1]), step: parts[2], name: parts.slice(3).join('/') });
}

export function sameKey(a: ArtifactKey, b: ArtifactKey): boolean {
  return a.campaign === b.campaign && a.iteration === b.iteration && a.step === b.step && a.name === b.name;
}

export function keyPath(root: string, key: ArtifactKey): string {
  return path.join(root, ...keySegments(key));
}
