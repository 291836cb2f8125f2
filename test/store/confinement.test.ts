import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalArtifactStore } from '../../store/local';
import { resolveUserPath } from '../../store/confine';
import { InvalidArtifactKeyError, PathEscapeError } from '../../store/errors';
import { tempDir } from './helpers';

let base: string;
let root: string;
let outside: string;
let store: LocalArtifactStore;
beforeEach(() => {
  base = tempDir('confine');
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  fs.mkdirSync(outside);
  store = new LocalArtifactStore(root);
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

const data = new Uint8Array(Buffer.from('x'));
const good = { campaign: 'c', iteration: 0, step: 'sample', name: 'a.jsonl' };
/** Everything under `outside`: must stay empty whatever the store is asked to do. */
const outsideFiles = () => fs.readdirSync(outside, { recursive: true });

describe('artifact keys cannot leave the root', () => {
  test.each([
    ['campaign', '..'], ['campaign', '../x'], ['campaign', '/etc'], ['campaign', 'a/b'], ['campaign', ''], ['campaign', '.hidden'],
    ['step', '..'], ['step', 'a/../../b'], ['step', 'x\0y'],
    ['name', '../../../outside/x'], ['name', '/abs/path'], ['name', 'a/../../b'], ['name', 'a//b'], ['name', '.versions/x'], ['name', 'x\0.jsonl'],
  ])('%s = %j is refused', async (field, value) => {
    const key = { ...good, [field]: value };
    const err = await store.put(key, data, 'text/plain').catch((e) => e);
    expect(err).toBeInstanceOf(InvalidArtifactKeyError);
    expect(err.message).toContain(`invalid artifact ${field} ${JSON.stringify(value)}`);
    await expect(store.find(key)).rejects.toThrow(InvalidArtifactKeyError);
    expect(outsideFiles()).toEqual([]);
  });

  test('iteration must be a non-negative integer', async () => {
    for (const iteration of [-1, 1.5, NaN]) await expect(store.put({ ...good, iteration }, data, 'x')).rejects.toThrow(/invalid artifact iteration/);
  });

  test('refs whose uri climbs out of the root are refused', async () => {
    const ref = await store.put(good, data, 'text/plain');
    for (const uri of ['store://c/iter-0/sample/../../../outside/x', 'store://../outside/iter-0/s/x', 'file:///etc/passwd', 'store:///etc/iter-0/s/passwd']) {
      await expect(store.get({ ...ref, uri })).rejects.toThrow(InvalidArtifactKeyError);
    }
  });

  test('a symlinked campaign directory pointing outside is refused for writes and reads', async () => {
    fs.symlinkSync(outside, path.join(root, 'evil'));
    const err = await store.put({ ...good, campaign: 'evil' }, data, 'text/plain').catch((e) => e);
    expect(err).toBeInstanceOf(PathEscapeError);
    expect(err.message).toContain('outside the root');
    expect(outsideFiles()).toEqual([]);
  });

  test('a symlinked step directory or artifact file pointing outside is refused', async () => {
    const ref = await store.put(good, data, 'text/plain');
    fs.writeFileSync(path.join(outside, 'secret'), 'secret');
    fs.symlinkSync(outside, path.join(root, 'c', 'iter-0', 'leak'));
    await expect(store.put({ ...good, step: 'leak' }, data, 'text/plain')).rejects.toThrow(PathEscapeError);
    // Replace the artifact by a symlink to a file outside: reading the ref must not follow it.
    const file = path.join(root, 'c', 'iter-0', 'sample', 'a.jsonl');
    fs.rmSync(file);
    fs.symlinkSync(path.join(outside, 'secret'), file);
    await expect(store.get(ref)).rejects.toThrow(PathEscapeError);
    await expect(store.find(good)).rejects.toThrow(PathEscapeError);
    expect(fs.readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('secret');
    expect(outsideFiles().sort()).toEqual(['secret']);
  });

  test('symlinks that stay inside the root are followed', async () => {
    fs.mkdirSync(path.join(root, 'real-campaign'));
    fs.symlinkSync(path.join(root, 'real-campaign'), path.join(root, 'alias'));
    const ref = await store.put({ ...good, campaign: 'alias' }, data, 'text/plain');
    expect(Buffer.from(await store.get(ref)).toString()).toBe('x');
  });
});

describe('resolveUserPath (paths written in specs)', () => {
  test('relative and absolute paths inside the root resolve to real absolute paths', async () => {
    fs.mkdirSync(path.join(root, 'data'));
    fs.writeFileSync(path.join(root, 'data', 'prompts.jsonl'), '');
    const real = fs.realpathSync(root);
    expect(await resolveUserPath(root, 'data/prompts.jsonl')).toBe(path.join(real, 'data', 'prompts.jsonl'));
    expect(await resolveUserPath(root, path.join(root, 'data', 'prompts.jsonl'))).toBe(path.join(real, 'data', 'prompts.jsonl'));
    expect(await resolveUserPath(root, './data/../data/new.jsonl')).toBe(path.join(real, 'data', 'new.jsonl'));
  });

  test.each(['../outside/x', '/etc/passwd', 'data/../../outside', 'a\0b', ''])('%j is refused', async (p) => {
    const err = await resolveUserPath(root, p).catch((e) => e);
    expect(err).toBeInstanceOf(PathEscapeError);
    expect(err.message).toContain(JSON.stringify(p));
    expect(err.message).toContain(`keep files inside ${fs.realpathSync(root)}`);
  });

  test('a symlink inside the root pointing out is refused, also for files not created yet', async () => {
    fs.symlinkSync(outside, path.join(root, 'models'));
    fs.writeFileSync(path.join(outside, 'decoder.onnx'), '');
    await expect(resolveUserPath(root, 'models/decoder.onnx')).rejects.toThrow(/resolves to .*outside the root/);
    await expect(resolveUserPath(root, 'models/not-yet.onnx')).rejects.toThrow(PathEscapeError);
  });
});
