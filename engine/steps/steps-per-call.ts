/**
 * How many optimizer steps a training loop hands a runtime per call. On a compute thread every call is a round
 * trip (a message each way; the train state, handed over in shared memory, is not copied after the first call), so
 * several steps per call save time; cancellation is checked between calls, so a call must stay short. Each call
 * takes as many steps as took about TARGET_MS at the last call's pace.
 * Only the grouping of steps into calls changes: batches, order and learning rates do not, nor do the weights.
 */
const TARGET_MS = 250;
const MAX_STEPS = 64;

export class StepsPerCall {
  private size = 1;

  /** Steps the next call should take (at least 1). */
  get next(): number {
    return this.size;
  }

  /** Runs one call of `steps` steps and sets the size of the next from how long it took. */
  async time<T>(steps: number, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const out = await call();
    const perStep = (performance.now() - started) / steps;
    this.size = Math.max(1, Math.min(MAX_STEPS, Math.floor(TARGET_MS / Math.max(perStep, 1e-3))));
    return out;
  }
}
