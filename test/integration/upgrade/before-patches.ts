/**
 * The workflow API as the version before every patch in workflows/versions.ts saw it: `patched()` is always false
 * and writes no marker, so the bundle built with this in place of @temporalio/workflow runs exactly the old branch,
 * as the previous release's workers did.
 */
export * from '@temporalio/workflow/lib/index';
export function patched(_patchId: string): boolean {
  return false;
}
export function deprecatePatch(_patchId: string): void {
  // The old code never called it.
}
