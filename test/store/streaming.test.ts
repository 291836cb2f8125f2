import * as fs from 'node:fs';
import { fixtureResult, tempDir } from './helpers';

/**
 * 1,000,000 rows written through putJsonl and read back through readJsonl in a separate node process whose
 * heap is capped far below the file size (and whose young generation is kept small so that resident memory
 * measures what the store holds, not GC slack), with resident memory sampled along the way: a whole-file
 * load would crash the process or blow the bound.
 */

let root: string;
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('a 1,000,000-row JSONL streams in and out with bounded memory', async () => {
  root = tempDir('stream');
  const m = await fixtureResult('million-rows.ts', [root], ['--max-old-space-size=64', '--max-semi-space-size=4']);
  console.log(`1M-row JSONL: ${(m.bytes / 1048576).toFixed(0)} MiB, write ${m.writeMs} ms, read ${m.readMs} ms, `
    + `rss baseline ${m.baselineMb} MiB, peak ${m.peakMb} MiB (write peak ${m.peakWriteMb} MiB)`);

  expect(m.rows).toBe(1_000_000);
  expect(m.refRows).toBe(1_000_000);
  expect(m.sum).toBe((999_999 * 1_000_000) / 2);
  expect(m.bytes).toBeGreaterThan(100 * 1048576);
  // Resident growth stays well below the file size: ~1 MiB chunks plus a small young generation, not the file.
  // (Measured ~14 MiB against a 162 MiB file; a Buffer of the whole file, invisible to the heap cap, would add 162.)
  expect(m.deltaBytes).toBeLessThan(Math.min(m.bytes / 4, 48 * 1048576));
});
