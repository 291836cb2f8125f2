/**
 * The one error a bad spec, patch or --set produces. Its name is stable ('SpecError') so that Temporal
 * retry policies can list it as non-retryable: retrying never fixes a spec.
 */
export interface SpecIssue {
  /** Dotted field path as the user writes it (`update.beta`, `sampling.temperatures[1]`), or `(root)`. */
  path: string;
  message: string;
}

export class SpecError extends Error {
  override readonly name = 'SpecError';
  readonly issues: SpecIssue[];
  readonly source?: string;

  constructor(issues: SpecIssue[], source?: string, what = 'campaign spec') {
    const where = source ? ` ${source}` : '';
    const count = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    super(`invalid ${what}${where} (${count}):\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.issues = issues;
    this.source = source;
  }
}
