/**
 * The workflow API as the previous release saw it: the patches it had are real `patched()` calls (markers recorded
 * and replayed), the ones added since are false and record nothing, so a bundle built with this in place of
 * @temporalio/workflow runs exactly the previous release's code paths.
 */
import { deprecatePatch, patched as realPatched } from '@temporalio/workflow/lib/index';

export * from '@temporalio/workflow/lib/index';
export { deprecatePatch };

const RELEASED = new Set(['prefloop-records-in-store']);

export function patched(patchId: string): boolean {
  return RELEASED.has(patchId) ? realPatched(patchId) : false;
}
