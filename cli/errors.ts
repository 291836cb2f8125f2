import { EXIT, type ExitCode } from './exit-codes';

/** An error the CLI reports as one line with a chosen exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCode) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (m: string) => new CliError(m, EXIT.usage);
export const notFoundError = (m: string) => new CliError(m, EXIT.notFound);
export const unreachableError = (m: string) => new CliError(m, EXIT.unreachable);

const GRPC_NOT_FOUND = 5;
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE = 4;

/** Messages are printed on one line: multi-line causes (zod issue lists) are joined with '; '. */
export function oneLine(s: string): string {
  const lines = s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  // A header ending in ':' introduces its list ("invalid spec (2 problems): a; b").
  return lines.reduce((acc, l, i) => (i === 0 ? l : `${acc}${/:$/.test(acc) ? ' ' : '; '}${l}`), '');
}

function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  let e: unknown = err;
  while (e && out.length < 8) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

function grpcCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Map any error to (exit code, one-line message). `context` names what was being done. */
export function classify(err: unknown, context: { address?: string } = {}): { exitCode: ExitCode; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: oneLine(err.message) };
  const errors = chain(err);
  const names = errors.map((e) => (e as Error)?.name);
  const deepest = errors[errors.length - 1] as Error | undefined;
  const top = err as Error;
  const msgOf = (e: unknown) => oneLine(String((e as Error)?.message ?? e));

  if (names.includes('SpecError') || names.includes('ZodError')) {
    const e = errors.find((x) => ['SpecError', 'ZodError'].includes((x as Error).name));
    return { exitCode: EXIT.usage, message: msgOf(e) };
  }
  if (names.includes('CampaignNotFoundError')) return { exitCode: EXIT.notFound, message: `${msgOf(top)} (see \`prefloop list\`)` };
  if (names.includes('WorkflowNotFoundError') || names.includes('ScheduleNotFoundError')
    || errors.some((e) => grpcCode(e) === GRPC_NOT_FOUND && /not found/i.test(msgOf(e)))) {
    return { exitCode: EXIT.notFound, message: msgOf(top) };
  }
  const unreachable = errors.some((e) => {
    const code = grpcCode(e);
    return code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE
      || /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|Failed to connect|failed to connect|No connection established|connection refused|Connection dropped/i.test(msgOf(e));
  });
  if (unreachable && !names.includes('WorkflowFailedError')) {
    const where = context.address ? ` at ${context.address}` : '';
    return { exitCode: EXIT.unreachable, message: `cannot reach the Temporal server${where}: ${msgOf(deepest ?? top)} (start one with \`prefloop server\` or set TEMPORAL_ADDRESS)` };
  }
  if (names.includes('WorkflowUpdateFailedError')) {
    // The update's validator rejected the patch: the user's input, not the system, is wrong.
    return { exitCode: EXIT.usage, message: `rejected: ${msgOf(deepest ?? top)}` };
  }
  if (names.includes('WorkflowFailedError')) {
    return { exitCode: EXIT.failure, message: `campaign failed: ${msgOf(deepest ?? top)}` };
  }
  if ((top as NodeJS.ErrnoException)?.code === 'ENOENT') return { exitCode: EXIT.notFound, message: msgOf(top) };
  return { exitCode: EXIT.failure, message: msgOf(top) };
}
