import type { Command } from 'commander';
import { classify } from './errors';
import { EXIT } from './exit-codes';
import { connectClient, resolveConnection, type ConnectionFlags, type ResolvedConnection } from './connection';
import { makeOutput, type Output } from './output';

export interface CommandOptions extends ConnectionFlags {
  json?: boolean;
  [key: string]: unknown;
}

/** Everything an action needs, created lazily so `--help` never loads Temporal. */
export interface ActionContext {
  opts: CommandOptions;
  out: Output;
  connection(): ResolvedConnection;
  client(): Promise<Awaited<ReturnType<typeof connectClient>>['client']>;
}

/**
 * Wrap a command action: build its context, run it, and turn any error into one line on stderr and the
 * documented exit code. Actions return an exit code (default 0).
 */
export function action<A extends unknown[]>(fn: (ctx: ActionContext, ...args: A) => Promise<number | void>) {
  return async (...raw: unknown[]): Promise<void> => {
    const cmd = raw[raw.length - 1] as Command;
    const args = raw.slice(0, raw.length - 2) as A;
    const opts = cmd.optsWithGlobals() as CommandOptions;
    const out = makeOutput(Boolean(opts.json));
    let resolved: ResolvedConnection | undefined;
    let connected: Awaited<ReturnType<typeof connectClient>> | undefined;
    const ctx: ActionContext = {
      opts,
      out,
      connection() {
        resolved ??= resolveConnection(opts);
        return resolved;
      },
      async client() {
        connected ??= await connectClient(ctx.connection());
        return connected.client;
      },
    };
    try {
      process.exitCode = (await fn(ctx, ...args)) ?? EXIT.ok;
    } catch (err) {
      const { exitCode, message } = classify(err, { address: resolved?.address });
      process.stderr.write(`${commandPath(cmd)}: ${message}\n`);
      if (process.env.PREFLOOP_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
      process.exitCode = exitCode;
    } finally {
      await connected?.connection.close().catch(() => undefined);
    }
  };
}

/** "prefloop schedule delete", for error lines. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
