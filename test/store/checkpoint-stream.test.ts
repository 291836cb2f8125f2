import * as fs from 'node:fs';
import { fixtureResult, tempDir } from './helpers';

/**
 * A checkpoint goes into the store and comes back without ever being in memory twice: the put writes views of the
 * state's own arrays, the get fills each tensor from the stream (test/store/fixtures/checkpoint-stream.ts measures
 * ArrayBuffer memory after a GC at every chunk, each direction in its own process).
 */
let root: string;
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const run = (args: string[]) => fixtureResult('checkpoint-stream.ts', args, ['--expose-gc']);

test('a 96 MiB checkpoint is put and read back holding at most the state plus a few chunks', async () => {
  root = tempDir('ckstream');
  const MiB = 1048576;
  const put = await run(['put', root]);
  expect(put.stateBytes).toBeGreaterThan(90 * MiB);
  expect(put.ref.bytes).toBeGreaterThan(96 * MiB);
  // Writing adds chunk-sized buffers only (a whole-file encode would add the 96 MiB file).
  expect(put.extra).toBeLessThan(8 * MiB);
  const get = await run(['get', root, JSON.stringify(put.ref)]);
  expect(get.tensors).toBe(24);
  expect(get.step).toBe(5);
  expect(get.probe).toEqual([10, 3 + 7 + 4099]);
  // Reading holds the state being filled plus a chunk or two (a whole-file get would add the 96 MiB file).
  expect(get.peak).toBeGreaterThan(get.expected * 0.95);
  expect(get.peak).toBeLessThan(get.expected + 8 * MiB);
  expect(get.peakRssGrowth).toBeLessThan(get.expected * 1.5);
});
