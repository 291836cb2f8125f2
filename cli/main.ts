import { Command, CommanderError } from 'commander';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { oneLine } from './errors';
import { version } from '../package.json';
import { registerCommands } from './commands';

const CONNECTION_HELP = `
Connection (Temporal conventions): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS,
TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME,
TEMPORAL_PROFILE (env-config profile, with @temporalio/envconfig installed); flags of the same names override them.`;

export function buildProgram(): Command {
  const program = new Command('prefloop')
    .description('iterative preference learning (online iterative DPO, rejection sampling, DPO, RSO) as durable Temporal workflows')
    .version(version)
    .showSuggestionAfterError(true)
    // One line per error, so scripts and logs see the whole problem in one place.
    .configureOutput({ outputError: (str, write) => write(`prefloop: ${oneLine(str.replace(/^error: /, ''))}\n`) })
    .addHelpText('after', `${CONNECTION_HELP}\n${EXIT_CODES_HELP}`);
  registerCommands(program);
  // Usage errors are thrown, not exited, so that every command shares the exit-code table.
  const override = (cmd: Command) => {
    cmd.exitOverride();
    if (cmd !== program) cmd.configureOutput(program.configureOutput());
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its one-line message; help and version are successes.
      // 'commander.help' is help shown because no command was given: a usage error.
      const ok = ['commander.helpDisplayed', 'commander.version'].includes(err.code);
      process.exitCode = ok ? EXIT.ok : EXIT.usage;
      return;
    }
    process.stderr.write(`prefloop: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = EXIT.failure;
  }
}
