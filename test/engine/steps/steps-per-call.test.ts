/** How many optimizer steps a training loop hands a runtime per call: sized from the last call's pace, bounded. */
import { StepsPerCall } from '../../../engine/steps/steps-per-call';

const taking = (ms: number) => () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), ms));

test('starts at one step, grows when steps are fast, shrinks when they are slow, and never leaves [1, 64]', async () => {
  const pace = new StepsPerCall();
  expect(pace.next).toBe(1);
  // 1 step in ~0 ms: as many as the cap allows.
  expect(await pace.time(1, async () => 'fast')).toBe('fast');
  expect(pace.next).toBe(64);
  // 4 steps in ~100 ms (25 ms each): about 250 / 25 = 10 steps next, fewer if the timer ran late.
  await pace.time(4, taking(100));
  expect(pace.next).toBeGreaterThanOrEqual(5);
  expect(pace.next).toBeLessThanOrEqual(10);
  // 1 step in ~300 ms: one step per call.
  await pace.time(1, taking(300));
  expect(pace.next).toBe(1);
});

test('a failed call propagates and leaves the size as it was', async () => {
  const pace = new StepsPerCall();
  await expect(pace.time(3, async () => { throw new Error('step failed'); })).rejects.toThrow('step failed');
  expect(pace.next).toBe(1);
});
