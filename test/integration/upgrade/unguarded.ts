/**
 * The workflow API as new code without versioning would behave: the new branch always runs and no marker tells
 * replay which side of the change a history was recorded on.
 */
export * from '@temporalio/workflow/lib/index';
export function patched(_patchId: string): boolean {
  return true;
}
export function deprecatePatch(_patchId: string): void {
  // Nothing recorded either.
}
