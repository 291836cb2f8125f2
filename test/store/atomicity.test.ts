import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalArtifactStore } from '../../store/local';
import { spawnFixture, tempDir } from './helpers';

/**
 * A writer killed mid-write (SIGKILL: no cleanup handlers run) must leave the previous version at the final
 * path, the manifest unchanged, and find() returning the old ref.
 */

let root: string;
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const key = { campaign: 'kill', iteration: 0, step: 'sample', name: 'samples.jsonl' };

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('SIGKILL during a write leaves no partial artifact and the old version intact', async () => {
  root = tempDir('atomic');
  const store = new LocalArtifactStore(root);
  const oldRows = [{ i: 0, chosen: 'old', rejected: 'older' }];
  const old = await store.putJsonl(key, oldRows);
  const dir = path.join(root, 'kill', 'iter-0', 'sample');
  const finalPath = path.join(dir, 'samples.jsonl');
  const oldBytes = fs.readFileSync(finalPath);
  const manifestBefore = fs.readFileSync(path.join(root, 'kill', 'manifest.jsonl'), 'utf8');

  const child = spawnFixture('slow-writer.ts', [root, 'kill']);
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));

  // Kill once the new version's temp file holds several MiB: well into the write, long before it could end.
  const tmp = await waitFor('the child to be mid-write', () => {
    const name = fs.readdirSync(dir).find((f) => f.startsWith('.samples.jsonl.tmp-'));
    return name && fs.statSync(path.join(dir, name)).size > 4 << 20 ? name : undefined;
  });
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  expect(stderr).toBe('');

  // The final path still holds exactly the old bytes; the manifest did not move; find() returns the old ref.
  expect(fs.readFileSync(finalPath).equals(oldBytes)).toBe(true);
  expect(fs.readFileSync(path.join(root, 'kill', 'manifest.jsonl'), 'utf8')).toBe(manifestBefore);
  const fresh = new LocalArtifactStore(root);
  expect(await fresh.find(key)).toEqual(old);
  const rows: unknown[] = [];
  for await (const r of fresh.readJsonl(old)) rows.push(r);
  expect(rows).toEqual(oldRows);
  // Only the dead writer's temp file is left over, never under the artifact's name...
  expect(fs.readdirSync(dir).sort()).toEqual([tmp, 'samples.jsonl']);

  // ...and the next write of that name sweeps it and commits normally.
  const next = await fresh.putJsonl(key, [{ i: 1 }]);
  expect(fs.readdirSync(dir).sort()).toEqual(['.versions', 'samples.jsonl']);
  expect(await fresh.find(key)).toEqual(next);
  expect(Buffer.from(await fresh.get(old)).equals(oldBytes)).toBe(true);
});
