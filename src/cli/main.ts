/**
 * The `bks` program: commander wiring only. Each command lives in its own file under src/cli/ and
 * exports `register(program, run)`; `run` wraps its action so that every error becomes one line on
 * stderr and an exit code (docs/commands/README.md), never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { BksError, describeError } from '../errors';
import { commands } from './commands';

export type Action = (...args: never[]) => Promise<number>;
export type RunAction = <A extends Action>(action: A) => (...args: Parameters<A>) => Promise<void>;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(
  onExit: (code: number) => void,
  stderr: NodeJS.WritableStream = process.stderr,
): Command {
  const program = new Command('bks');
  const run: RunAction =
    (action) =>
    async (...args) => {
      try {
        onExit(await action(...args));
      } catch (err) {
        const code = err instanceof BksError ? err.exitCode : 3;
        stderr.write(`bks: ${describeError(err)}\n`);
        if (process.env.BKS_DEBUG && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
        onExit(code);
      }
    };
  program
    .description('Security toolkit for AWS Bedrock and Claude Platform API keys')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help');
  for (const register of commands) register(program, run);
  // The error conventions go on every command, also those a register() built with `new Command`
  // and added (commander copies settings only to commands made with `.command()`): a usage error
  // is one line `bks: … (see --help)` and exit 2, never commander's own process.exit.
  const conventions = (cmd: Command) => {
    cmd.exitOverride().configureOutput({
      writeErr: (s) => stderr.write(s),
      outputError: (s, write) => write(`bks: ${s.replace(/^error: /, '').trimEnd()} (see --help)\n`),
    });
    for (const sub of cmd.commands) conventions(sub);
  };
  conventions(program);
  return program;
}

/** Runs the CLI with the given arguments and resolves to the process exit code. */
export async function main(argv: string[], stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  }, stderr);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
        ? 0
        : 2;
    }
    stderr.write(`bks: ${describeError(err)}\n`);
    return 3;
  }
  return code;
}
