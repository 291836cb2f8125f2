/**
 * The manifest read incrementally (store/manifest.ts ManifestReader): a later read sees exactly what a whole read
 * would, whoever appended (this reader's store or another process); a line still being written waits for its newline,
 * a torn line is skipped, and a manifest that shrank or was replaced is read again from the start.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendManifest, ManifestReader, type ManifestEntry } from '../../store/manifest';

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prefloop-manifest-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const entry = (i: number, name = `a${i}.json`): ManifestEntry => ({
  key: { campaign: 'c', iteration: i, step: 'rank', name }, ref: { uri: `store://c/iter-${i}/rank/${name}`, sha256: String(i).padStart(64, '0'), bytes: i, mediaType: 'application/json' }, at: 'now',
});

test('reads only what was appended since, as a whole read would', async () => {
  const file = path.join(dir, 'manifest.jsonl');
  const reader = new ManifestReader(file);
  expect(await reader.read()).toEqual([]);
  await appendManifest(file, entry(1));
  await appendManifest(file, entry(2));
  expect(await reader.read()).toEqual([entry(1), entry(2)]);
  // Another writer's line arrives in two parts (ü: a multi-byte character across the cut); the first read waits for it.
  const line = `${JSON.stringify(entry(3, 'ü.json'))}\n`;
  const cut = Buffer.from(line).indexOf(Buffer.from('ü')) + 1;
  fs.appendFileSync(file, Buffer.from(line).subarray(0, cut));
  expect(await reader.read()).toEqual([entry(1), entry(2)]);
  fs.appendFileSync(file, Buffer.from(line).subarray(cut));
  // A torn line (a crash mid-append) followed by a whole one: the torn one is skipped, as a whole read skips it.
  fs.appendFileSync(file, '{"key":{"campa\n');
  await appendManifest(file, entry(4));
  const [a, b] = await Promise.all([reader.read(), reader.read()]);
  expect(a).toEqual([entry(1), entry(2), entry(3, 'ü.json'), entry(4)]);
  expect(b).toEqual(a);
  expect(await new ManifestReader(file).read()).toEqual(a);
  // Replaced by a shorter file: read again from the start.
  fs.writeFileSync(file, `${JSON.stringify(entry(9))}\n`);
  expect(await reader.read()).toEqual([entry(9)]);
  fs.rmSync(file);
  expect(await reader.read()).toEqual([]);
});
