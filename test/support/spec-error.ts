import { SpecError } from '../../schemas/parse';

/** The SpecError `run` throws; the test fails when it throws something else or nothing. */
export function specError(run: () => unknown): SpecError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return e as SpecError;
  }
  throw new Error('expected a SpecError, but nothing was thrown');
}
