/**
 * The help manifest: every command's name, arguments, options and subcommands as data, written by
 * the build (scripts/build.mjs) next to the bundle. `bks --help`, `bks help CMD` and `bks CMD --help`
 * are rendered by commander from stub commands rebuilt from it, so showing help loads no command
 * module (and no AWS SDK client). A test checks that every help text rebuilt from the manifest is the
 * one the real command prints.
 */
import { Argument, Command, Option } from 'commander';

export interface OptionSpec {
  flags: string;
  description: string;
  defaultValue?: unknown;
  defaultValueDescription?: string;
  choices?: string[];
  envVar?: string;
  hidden?: boolean;
  mandatory?: boolean;
  presetArg?: unknown;
}

export interface ArgumentSpec {
  name: string;
  required: boolean;
  variadic: boolean;
  description: string;
  defaultValue?: unknown;
  defaultValueDescription?: string;
  choices?: string[];
}

export interface CommandSpec {
  name: string;
  aliases: string[];
  description: string;
  summary: string;
  usage: string;
  help: { flags: string; description: string } | null;
  arguments: ArgumentSpec[];
  options: OptionSpec[];
  commands: CommandSpec[];
}

export const MANIFEST_SCHEMA = 'bks.help-manifest/v1';

export interface HelpManifest {
  schema: typeof MANIFEST_SCHEMA;
  commands: CommandSpec[];
}

/** commander keeps the help option internal; its getter is stable across v12–v14. */
function helpOptionOf(cmd: Command): Option | null {
  return (cmd as unknown as { _getHelpOption(): Option | null })._getHelpOption();
}

export function describeCommand(cmd: Command): CommandSpec {
  const help = helpOptionOf(cmd);
  return {
    name: cmd.name(),
    aliases: cmd.aliases(),
    description: cmd.description(),
    summary: cmd.summary(),
    usage: cmd.usage(),
    help: help ? { flags: help.flags, description: help.description } : null,
    arguments: cmd.registeredArguments.map((a) => ({
      name: a.name(),
      required: a.required,
      variadic: a.variadic,
      description: a.description,
      defaultValue: a.defaultValue,
      defaultValueDescription: a.defaultValueDescription,
      choices: a.argChoices,
    })),
    options: cmd.options.map((o) => ({
      flags: o.flags,
      description: o.description,
      defaultValue: o.defaultValue,
      defaultValueDescription: o.defaultValueDescription,
      choices: o.argChoices,
      envVar: o.envVar,
      hidden: o.hidden || undefined,
      mandatory: o.mandatory || undefined,
      presetArg: o.presetArg,
    })),
    commands: cmd.commands.map(describeCommand),
  };
}

/** A command that prints the same help as the one `spec` was taken from (it has no action). */
export function stubCommand(spec: CommandSpec): Command {
  const cmd = new Command(spec.name).description(spec.description).usage(spec.usage);
  if (spec.summary) cmd.summary(spec.summary);
  if (spec.aliases.length) cmd.aliases(spec.aliases);
  if (spec.help) cmd.helpOption(spec.help.flags, spec.help.description);
  else cmd.helpOption(false);
  for (const a of spec.arguments) {
    const name = `${a.name}${a.variadic ? '...' : ''}`;
    const arg = new Argument(a.required ? `<${name}>` : `[${name}]`, a.description);
    if (a.defaultValue !== undefined || a.defaultValueDescription !== undefined)
      arg.default(a.defaultValue, a.defaultValueDescription);
    if (a.choices) arg.choices(a.choices);
    cmd.addArgument(arg);
  }
  for (const o of spec.options) {
    const opt = new Option(o.flags, o.description);
    if (o.defaultValue !== undefined || o.defaultValueDescription !== undefined)
      opt.default(o.defaultValue, o.defaultValueDescription);
    if (o.choices) opt.choices(o.choices);
    if (o.envVar) opt.env(o.envVar);
    if (o.hidden) opt.hideHelp();
    if (o.mandatory) opt.makeOptionMandatory();
    if (o.presetArg !== undefined) opt.preset(o.presetArg);
    cmd.addOption(opt);
  }
  for (const sub of spec.commands) cmd.addCommand(stubCommand(sub));
  return cmd;
}
