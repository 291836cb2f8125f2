/**
 * Keep Temporal's core runtime quiet (errors only; PREFLOOP_LOG_LEVEL=WARN|INFO|DEBUG for more) so the CLI's own output stays readable.
 * Must run before anything creates the runtime (a worker, or the dev server's test environment).
 */
export async function quietTemporalRuntime(): Promise<void> {
  const { DefaultLogger, Runtime, makeTelemetryFilterString } = await import('@temporalio/worker');
  const level = (process.env.PREFLOOP_LOG_LEVEL as 'ERROR' | undefined) ?? 'ERROR';
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      // The core's per-call retry lines (dozens a second while a server restarts) are left out: the worker's
      // supervisor (workers/resilient.ts) says once that the server is unreachable, since when, and when it is back.
      telemetryOptions: { logging: { filter: `${makeTelemetryFilterString({ core: level, other: level })},temporalio_client::retry=off`, console: {} } },
    });
  } catch {
    // Already installed by an earlier call in this process: keep it.
  }
}
