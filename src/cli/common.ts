/**
 * Conventions every `bks` command shares (docs/commands/README.md): AWS options, output formats,
 * `--out-file` with mode 0600, quiet, colour, progress on stderr, exit codes, confirmation of
 * changes. Commands build a typed result and hand it to `emit` with their renderers; they never
 * print on their own.
 */

import { type Command, Option } from 'commander';
import { UsageError } from '../errors';
import { checkOutputPath, OutputPathError, writePrivateFile } from '../util/private-file';
import type { RunAction } from './main';

export const EXIT = { OK: 0, FINDINGS: 1, USAGE: 2, FAILURE: 3 } as const;

/** Options shared by every command (as commander parses them). */
export interface CommonOptions {
  output?: string;
  outFile?: string;
  quiet?: boolean;
  color?: boolean;
  verbose?: boolean;
  profile?: string;
  region?: string;
  endpointUrl?: string;
}

export interface CommandContext {
  format: string;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
  outFile?: string;
  /** AWS settings from flags (the client layer adds the environment and the credential chain). */
  aws: { profile?: string; region?: string; endpointUrl?: string };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Progress and logs: stderr, only when it is a TTY or `--verbose`, never with `--quiet`. */
  log(message: string): void;
  /** Warnings the user must see even without a TTY (stderr, suppressed only by `--quiet`). */
  warn(message: string): void;
  style: Style;
}

export interface CommonOptionSpec {
  /** Output formats the command renders; the first is the default. */
  formats: readonly string[];
  /** Whether the command talks to AWS (adds --profile, --region, --endpoint-url). */
  aws?: boolean;
}

/** Adds the shared flags to a command. */
export function addCommonOptions(cmd: Command, spec: CommonOptionSpec): Command {
  cmd
    .addOption(
      new Option('-o, --output <format>', `output format: ${spec.formats.join(', ')}`).default(
        spec.formats[0],
      ),
    )
    .option(
      '--out-file <path>',
      'write the rendering to this file (created with mode 0600) instead of stdout',
    )
    .option('-q, --quiet', 'print only the result')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('--verbose', 'progress and logs on stderr even when it is not a terminal');
  if (spec.aws) {
    cmd
      .option('--profile <name>', 'AWS profile (standard credential chain otherwise)')
      .option('--region <region>', 'AWS region (the partition follows from it)')
      .option('--endpoint-url <url>', 'send AWS calls to this endpoint (AWS_ENDPOINT_URL also works)');
  }
  return cmd;
}

/**
 * The shared flags and the action of a command: `fn` receives the command's arguments and flags as
 * commander parses them, then the run's context (format and `--out-file` checked before any work),
 * and returns the exit code. `run` (from `register`) turns its errors into one line and an exit code.
 */
export function commonAction<A extends unknown[]>(
  cmd: Command,
  spec: CommonOptionSpec,
  run: RunAction,
  fn: (...args: [...A, CommandContext]) => Promise<number>,
): Command {
  addCommonOptions(cmd, spec);
  return cmd.action(
    run(async (...parsed: unknown[]) => {
      // commander calls an action with the positional arguments, the flags and the command.
      const values = parsed.slice(0, -1);
      const flags = values[values.length - 1] as CommonOptions;
      return fn(...(values as A), makeContext(flags, spec));
    }),
  );
}

function outFileCheck(path: string): void {
  try {
    checkOutputPath(path);
  } catch (err) {
    if (err instanceof OutputPathError) throw new UsageError(`--out-file: ${err.message}`);
    throw err;
  }
}

/** Builds the context of a run from the parsed options, validating the format. */
export function makeContext(
  opts: CommonOptions,
  spec: CommonOptionSpec,
  io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream; env?: NodeJS.ProcessEnv } = {},
): CommandContext {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const format = opts.output ?? spec.formats[0] ?? 'table';
  if (!spec.formats.includes(format)) {
    throw new UsageError(`--output must be one of ${spec.formats.join(', ')} (got "${format}")`);
  }
  // A folder that does not exist is bad input, found before any work is done.
  if (opts.outFile) outFileCheck(opts.outFile);
  const quiet = Boolean(opts.quiet);
  const verbose = Boolean(opts.verbose);
  const stderrTty = Boolean((stderr as { isTTY?: boolean }).isTTY);
  const stdoutTty = Boolean((stdout as { isTTY?: boolean }).isTTY);
  const color =
    opts.color !== false && !('NO_COLOR' in env && env.NO_COLOR !== '') && stdoutTty && !opts.outFile;
  const ctx: CommandContext = {
    format,
    quiet,
    verbose,
    color,
    outFile: opts.outFile,
    aws: { profile: opts.profile, region: opts.region, endpointUrl: opts.endpointUrl },
    stdout,
    stderr,
    log(message) {
      if (!quiet && (verbose || stderrTty)) stderr.write(`${message}\n`);
    },
    warn(message) {
      if (!quiet) stderr.write(`bks: ${message}\n`);
    },
    style: makeStyle(color),
  };
  return ctx;
}

export type Renderers<T> = Record<string, (result: T, ctx: CommandContext) => string>;

/** Renders a result in the chosen format to stdout or `--out-file` (mode 0600). */
let jsonOutputCheck: ((text: string) => void) | undefined;

/**
 * Registers a check of every JSON document a command emits (the tests validate each against its
 * JSON Schema in schemas/: test/setup/output-schemas.ts). A check that throws fails the command.
 */
export function checkJsonOutputs(check: ((text: string) => void) | undefined): void {
  jsonOutputCheck = check;
}

export function emit<T>(result: T, renderers: Renderers<T>, ctx: CommandContext): void {
  const render = renderers[ctx.format];
  if (!render) throw new UsageError(`--output ${ctx.format} is not available for this command`);
  let text = render(result, ctx);
  if (text.length > 0 && !text.endsWith('\n')) text += '\n';
  if (ctx.format === 'json') jsonOutputCheck?.(text);
  if (ctx.outFile) {
    outFileCheck(ctx.outFile);
    writePrivateFile(ctx.outFile, text);
    ctx.log(`wrote ${ctx.outFile}`);
  } else {
    ctx.stdout.write(text);
  }
}

/** JSON rendering shared by every command: one document with its schema first. */
export function renderJson(schema: string, result: object): string {
  return JSON.stringify({ schema, ...result }, null, 2);
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

export function makeStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) =>
    enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    green: wrap(32, 39),
    cyan: wrap(36, 39),
  };
}

/** Plain-text table with aligned columns (ANSI codes do not count towards widths). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths = headers.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c))))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface ConfirmOptions {
  dryRun?: boolean;
  yes?: boolean;
}

/**
 * The gate every changing command passes after printing its plan: `--dry-run` stops, `--yes`
 * proceeds, a TTY is asked, and without a TTY the command refuses (exit 2) instead of hanging.
 */
/**
 * Refuses (exit 2) when a change could not be confirmed: no --yes, no --dry-run and no terminal to
 * ask. A command whose plan needs reads it cannot make without changing nothing calls it first.
 */
export function assertCanConfirm(opts: ConfirmOptions, io: { stdin?: NodeJS.ReadableStream } = {}): void {
  if (opts.dryRun || opts.yes) return;
  if (!((io.stdin ?? process.stdin) as { isTTY?: boolean }).isTTY) {
    throw new UsageError('refusing to change the account: stdin is not a terminal and --yes was not given');
  }
}

export async function confirmPlan(
  question: string,
  opts: ConfirmOptions,
  io: { stdin?: NodeJS.ReadableStream; stderr?: NodeJS.WritableStream } = {},
): Promise<'dry-run' | 'yes' | 'no'> {
  if (opts.dryRun) return 'dry-run';
  if (opts.yes) return 'yes';
  assertCanConfirm(opts, io);
  const stdin = io.stdin ?? process.stdin;
  const stderr = io.stderr ?? process.stderr;
  // Loaded here: only the commands that ask a question pay for readline at start-up.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: stdin, output: stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim()) ? 'yes' : 'no';
  } finally {
    rl.close();
  }
}

/** Parses a positive integer flag or throws a usage error naming the flag. */
export function parseIntFlag(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number (got "${value}")`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max} (got ${n})`);
  return n;
}

/**
 * Runs a core parser on a flag's value: the core words the problem, the CLI names the flag
 * (`--regions: "nowhere" is not a region name`).
 */
export function forFlag<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${name}: ${err.message}`);
    throw err;
  }
}

/** Parses a comma-separated list of 12-digit account ids. */
export function parseAccountList(name: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of ids) {
    if (!/^\d{12}$/.test(id)) throw new UsageError(`${name}: "${id}" is not a 12-digit account id`);
  }
  return ids;
}
