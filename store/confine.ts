import * as fs from 'node:fs';
import * as path from 'node:path';
import { PathEscapeError } from './errors';
import { materializeInput } from './inputs';

/**
 * Path confinement: nothing the store reads or writes, and no path taken from a spec, may leave the root,
 * whether by `..`, an absolute path, or a symlink whose target lies outside.
 */

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** realpath of the longest existing prefix of `p`, with the rest appended (for paths not created yet). */
async function realpathOfExisting(p: string): Promise<string> {
  const tail: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(await fs.promises.realpath(cur), ...tail.reverse());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const parent = path.dirname(cur);
      if (parent === cur) throw e;
      tail.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** Throws PathEscapeError unless `p`, after following every symlink that exists, is inside the real root. */
export async function assertRealpathInside(realRoot: string, p: string, shown: string = p): Promise<string> {
  const real = await realpathOfExisting(p);
  if (!isInside(realRoot, real)) throw new PathEscapeError(shown, realRoot, `it resolves to ${real}, outside the root`);
  return real;
}

/**
 * Resolve a path written in a spec (task.prompts, policy.path, ...) against `root`. Relative paths are
 * relative to the root; absolute ones must already lie inside it. Returns the real absolute path.
 */
export async function resolveUserPath(root: string, p: string): Promise<string> {
  const realRoot = await fs.promises.realpath(root);
  if (typeof p !== 'string' || p.length === 0) throw new PathEscapeError(String(p), realRoot, 'it is empty');
  if (p.includes('\0')) throw new PathEscapeError(p, realRoot, 'it contains a NUL byte');
  const abs = path.resolve(realRoot, p);
  if (!isInside(realRoot, abs)) throw new PathEscapeError(p, realRoot, `it points outside the root (${abs})`);
  if (abs !== realRoot) await materializeInput(realRoot, path.relative(realRoot, abs));
  return assertRealpathInside(realRoot, abs, p);
}

/** realpath of the longest existing prefix of `p` (synchronous twin of realpathOfExisting). */
function realpathOfExistingSync(p: string): string {
  const tail: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...tail.reverse());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const parent = path.dirname(cur);
      if (parent === cur) throw e;
      tail.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** resolveUserPath without awaiting: for callers that must stay synchronous (building a task from a spec). */
export function resolveUserPathSync(root: string, p: string): string {
  const realRoot = fs.realpathSync(root);
  if (typeof p !== 'string' || p.length === 0) throw new PathEscapeError(String(p), realRoot, 'it is empty');
  if (p.includes('\0')) throw new PathEscapeError(p, realRoot, 'it contains a NUL byte');
  const abs = path.resolve(realRoot, p);
  if (!isInside(realRoot, abs)) throw new PathEscapeError(p, realRoot, `it points outside the root (${abs})`);
  const real = realpathOfExistingSync(abs);
  if (!isInside(realRoot, real)) throw new PathEscapeError(p, realRoot, `it resolves to ${real}, outside the root`);
  return real;
}
