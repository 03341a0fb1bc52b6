/**
 * The CLI owns the words users type: no string of the core (src/ without src/cli/) names a `--flag`.
 * The core takes values and raises typed errors (`OptionError` names the option by its key, the CLI
 * spells it as its flag); plans are worded with the option names their caller passes
 * (`OptionNames`, src/options.ts). Read with the TypeScript parser, from every string and template
 * literal (a substitution counts as one word).
 *
 * The one allowance, narrow and checked: a whole command line the core recommends, `bks COMMAND …
 * --flag` (a finding's fix, a report's next step) or `aws SERVICE OPERATION … --flag` (the AWS
 * CLI's own flags). A `bks` command line must name a real command and flags that command has, read
 * from the CLI's own help manifest, so renaming a flag breaks this test rather than the advice.
 * Not words at all, and not counted: CSS custom properties (`--fg: …`, `var(--fg)`) and the
 * arguments of a child process (an array element that is one `--option` token: `git rev-list --all`).
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { helpManifest } from '../../src/cli/main';
import type { CommandSpec } from '../../src/cli/manifest';
import { parsed, sourceFiles } from './measure';

const coreFiles = () => sourceFiles(['src']).filter((f) => !f.startsWith('src/cli/'));

/** An element of an array literal passed to a call: the arguments of a child process (`git(repo, [...])`). */
function isArgv(node: ts.Node): boolean {
  return ts.isArrayLiteralExpression(node.parent) && ts.isCallExpression(node.parent.parent);
}

/** The text of every string and template literal of a file (a substitution becomes `X`), with its line. */
export function literals(file: string, text: string): Array<{ line: number; text: string }> {
  return literalsOf(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
}

/** The same, of a parsed file. */
function literalsOf(source: ts.SourceFile): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const visit = (node: ts.Node): void => {
    let value: string | undefined;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      // An argument of a child process: one `--option` token inside an array literal.
      const argv = isArgv(node) && /^--[a-z][\w-]*(=.*)?$/.test(node.text);
      // A module specifier is no sentence.
      const spec = ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent);
      if (!argv && !spec) value = node.text;
    } else if (ts.isTemplateExpression(node)) {
      const argv = isArgv(node) && /^--[a-z][\w-]*=$/.test(node.head.text) && node.templateSpans.length === 1;
      if (!argv) value = node.head.text + node.templateSpans.map((s) => `X${s.literal.text}`).join('');
    }
    if (value !== undefined) {
      out.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, text: value });
    }
    if (!ts.isTemplateExpression(node)) ts.forEachChild(node, visit);
    else for (const s of node.templateSpans) visit(s.expression);
  };
  visit(source);
  return out;
}

const FLAG = /(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?![\w-])/g;

/** `--name` words of a text that are no allowed command line, given the flags of each bks command. */
export function flagWords(text: string, flagsOf: Map<string, Set<string>>): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(FLAG)) {
    const at = m.index;
    const before = text.slice(0, at);
    // CSS custom properties.
    if (/var\($/.test(before) || (/[{;]$/.test(before) && text[at + m[0].length] === ':')) continue;
    // The command line this flag belongs to: the last `bks CMD` / `aws SVC OP` before it, with no
    // `:` or `;` in between (a sentence that goes on is no longer the command line).
    const cmd = /(?:^|[\s(`'">])(bks|aws)\s+([a-z][\w-]*)((?:(?!\b(?:bks|aws)\s)[^:;])*)$/.exec(before);
    if (cmd?.[1] === 'aws') continue;
    if (cmd?.[1] === 'bks' && flagsOf.get(cmd[2]!)?.has(m[0])) continue;
    out.push(cmd?.[1] === 'bks' ? `bks ${cmd[2]} … ${m[0]} (no such command or flag)` : m[0]);
  }
  return out;
}

function longFlags(spec: CommandSpec): string[] {
  return [
    ...spec.options.flatMap((o) => o.flags.match(/--[a-z][\w-]*/g) ?? []),
    ...(spec.help ? (spec.help.flags.match(/--[a-z][\w-]*/g) ?? []) : []),
    ...spec.commands.flatMap(longFlags),
  ];
}

async function bksFlags(): Promise<Map<string, Set<string>>> {
  const manifest = await helpManifest();
  return new Map(manifest.commands.map((c) => [c.name, new Set(longFlags(c))]));
}

describe('the CLI owns the flag words', () => {
  it('no string of the core names a --flag, except in a whole bks or aws command line', async () => {
    const flagsOf = await bksFlags();
    const found = coreFiles().flatMap((file) =>
      literalsOf(parsed(file)).flatMap(({ line, text }) =>
        flagWords(text, flagsOf).map((w) => `${file}:${line} ${w}`),
      ),
    );
    expect(found).toEqual([]);
  }, 60_000);

  it('finds what it claims and allows only what it documents (a self-check)', async () => {
    const flagsOf = await bksFlags();
    expect(flagWords('refusing to touch it without --force', flagsOf)).toEqual(['--force']);
    expect(flagWords('give --stack-name and --region', flagsOf)).toEqual(['--stack-name', '--region']);
    expect(flagWords('run `bks revoke-key X --all-keys` first', flagsOf)).toEqual([]);
    expect(flagWords('run bks revoke-key X --no-such-flag', flagsOf)).toEqual([
      'bks revoke-key … --no-such-flag (no such command or flag)',
    ]);
    expect(flagWords('bks revoke-key X: refusing without --force', flagsOf)).toEqual(['--force']);
    expect(flagWords('aws iam update-access-key --access-key-id X --status Inactive', flagsOf)).toEqual([]);
    expect(flagWords(':root{--fg:#1c2833}td{color:var(--fg)}|---|-- comment', flagsOf)).toEqual([]);
    expect(flagWords('Revoke it (`bks revoke-key`), then `bks timeline KEY --regions all`', flagsOf)).toEqual(
      [],
    );
    expect(flagWords('X; --delete: deleted', flagsOf)).toEqual(['--delete']);
    const argv = literals(
      'x.ts',
      // A child process's arguments, a template with a substitution, a sentence, a value in an array.
      [
        "git(['rev-list', '--all']);",
        'f(`--find-object=$',
        "{sha}`); g('--x y'); const a = ['--region'];",
      ].join(''),
    );
    expect(argv.map((l) => l.text)).toEqual(['rev-list', '--find-object=X', '--x y', '--region']);
  });
});
