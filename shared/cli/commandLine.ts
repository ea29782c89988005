/**
 * The command-line shape the project's CLIs share (`npm run operator`, `npm run phone`): a command
 * name, then strict `--options`; `--help` on the CLI lists the commands, `--help` after a command
 * shows its usage; unknown commands and options are usage errors (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type OptionValues = Record<string, string | boolean | undefined>;

/** What every command of a CLI declares. */
export interface CliCommand {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
}

/** Either a command to run with its parsed options, or the exit code after help or a usage error was printed. */
export type ParsedCommandLine<C extends CliCommand> = { exit: number } | { name: string; command: C; values: OptionValues };

export function parseCommandLine<C extends CliCommand>(
  argv: readonly string[],
  opts: { commands: Record<string, C>; help: string; commonOptions: NonNullable<ParseArgsConfig['options']>; commonUsage: string },
): ParsedCommandLine<C> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(opts.help);
    return { exit: name === undefined ? 2 : 0 };
  }
  const command = opts.commands[name];
  if (!command) {
    console.error(`unknown command "${name}"\n\n${opts.help}`);
    return { exit: 2 };
  }
  const usage = `usage: ${command.usage}${opts.commonUsage ? ` ${opts.commonUsage}` : ''}`;
  let values: OptionValues;
  try {
    ({ values } = parseArgs({ args: [...rest], options: { ...command.options, ...opts.commonOptions, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
    return { exit: 2 };
  }
  if (values.help) {
    console.log(`${name}: ${command.summary}\n\n${usage}`);
    return { exit: 0 };
  }
  return { name, command, values };
}

/** The list of commands for a CLI's help text. */
export function commandList(commands: Record<string, CliCommand>): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  return Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`)
    .join('\n');
}
