/**
 * Keep Temporal's core runtime quiet (errors only; PREFLOOP_LOG_LEVEL=WARN|INFO|DEBUG for more) so the CLI's own output stays readable.
 * Must run before anything creates the runtime (a worker, or the dev server's test environment).
 */
export async function quietTemporalRuntime(): Promise<void> {
  const { DefaultLogger, Runtime } = await import('@temporalio/worker');
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.PREFLOOP_LOG_LEVEL as 'ERROR' | undefined) ?? 'ERROR') });
  } catch {
    // Already installed by an earlier call in this process: keep it.
  }
}
