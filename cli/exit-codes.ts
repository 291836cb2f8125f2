/** Exit codes scripts can rely on. Documented in `prefloop --help` and the README. */
export const EXIT = {
  ok: 0,
  /** The work itself failed: a campaign failed, a worker crashed, a file could not be written. */
  failure: 1,
  /** Wrong arguments, an invalid spec or --set value, a rejected hyper-parameter patch. */
  usage: 2,
  /** No such campaign, schedule or file. */
  notFound: 3,
  /** The Temporal server could not be reached. */
  unreachable: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  runtime failure (a campaign or step failed)
  2  usage error: wrong arguments, invalid spec or --set value, rejected patch
  3  not found: unknown campaign, schedule or file
  4  Temporal server unreachable`;
