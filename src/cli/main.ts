/**
 * The `bks` program: commander wiring only. Each command lives in its own file under src/cli/ and
 * exports `register(program, run)`; `run` wraps its action so that every error becomes one line on
 * stderr and an exit code (docs/commands/README.md), never a stack trace.
 *
 * Start-up cost: only the command being run is imported (commands.ts). Help and `--version` import
 * none: in the bundle they come from the help manifest the build writes (manifest.ts); from the
 * TypeScript sources (tests, development) every command is loaded instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { BksError } from '../errors';
import { packageVersion } from '../paths';
import { type CommandEntry, commands } from './commands';
import { cliMessage } from './flags';
import { describeCommand, type HelpManifest, MANIFEST_SCHEMA, stubCommand } from './manifest';

export type Action = (...args: never[]) => Promise<number>;
export type RunAction = <A extends Action>(action: A) => (...args: Parameters<A>) => Promise<void>;

/** Set by the build (esbuild `define`) in the bundle; undefined when running the TypeScript sources. */
declare const __BKS_BUNDLE__: boolean | undefined;

const MANIFEST_FILE = 'bks-help.json';

function bundledManifest(): HelpManifest | undefined {
  if (typeof __BKS_BUNDLE__ === 'undefined') return undefined;
  const url = new URL(`./${MANIFEST_FILE}`, import.meta.url);
  if (!existsSync(url)) return undefined;
  const m = JSON.parse(readFileSync(url, 'utf8')) as HelpManifest;
  return m.schema === MANIFEST_SCHEMA ? m : undefined;
}

/**
 * The command `argv` runs, if it runs one: its first word names a command and no help flag comes
 * before `--`. Help, `--version`, no arguments and unknown commands select none.
 */
export function selectedCommand(argv: readonly string[]): CommandEntry | undefined {
  const first = argv[0];
  if (first === undefined || first.startsWith('-')) return undefined;
  const end = argv.indexOf('--');
  const flags = end < 0 ? argv : argv.slice(0, end);
  if (flags.includes('-h') || flags.includes('--help')) return undefined;
  return commands.find((c) => c.name === first);
}

/**
 * Builds the program. With `argv`, only the command it runs is loaded, and help is served from the
 * help manifest (the bundle's, or `manifest`) when there is one; without `argv`, every command is
 * loaded (what tests and the manifest walk).
 */
export async function buildProgram(
  onExit: (code: number) => void,
  stderr: NodeJS.WritableStream = process.stderr,
  { argv, manifest }: { argv?: readonly string[]; manifest?: HelpManifest } = {},
): Promise<Command> {
  const program = new Command('bks');
  const run: RunAction =
    (action) =>
    async (...args) => {
      try {
        onExit(await action(...args));
      } catch (err) {
        const code = err instanceof BksError ? err.exitCode : 3;
        stderr.write(`bks: ${cliMessage(err)}\n`);
        if (process.env.BKS_DEBUG && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
        onExit(code);
      }
    };
  program
    .description('Security toolkit for AWS Bedrock and Claude Platform API keys')
    .version(packageVersion(), '-v, --version', 'print the version (-V too)')
    .helpOption('-h, --help', 'show help');
  const selected = argv ? selectedCommand(argv) : undefined;
  const help = argv && !selected ? (manifest ?? bundledManifest()) : undefined;
  if (selected) (await selected.load()).register(program, run);
  else if (help) for (const spec of help.commands) program.addCommand(stubCommand(spec));
  else for (const c of commands) (await c.load()).register(program, run);
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

/** The help manifest of every command (the build writes it next to the bundle). */
export async function helpManifest(): Promise<HelpManifest> {
  const program = await buildProgram(() => {});
  return { schema: MANIFEST_SCHEMA, commands: program.commands.map(describeCommand) };
}

export { MANIFEST_FILE };

/** Runs the CLI with the given arguments and resolves to the process exit code. */
export async function main(argv: string[], stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  // `-V` (commander's usual spelling) prints the version as `-v` and `--version` do.
  if (argv.length === 1 && argv[0] === '-V') argv = ['-v'];
  let code = 0;
  const program = await buildProgram(
    (c) => {
      code = c;
    },
    stderr,
    { argv },
  );
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
    stderr.write(`bks: ${cliMessage(err)}\n`);
    return 3;
  }
  return code;
}
