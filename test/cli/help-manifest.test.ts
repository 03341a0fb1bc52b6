/**
 * The help manifest (src/cli/manifest.ts) stands in for the commands when the bundle shows help:
 * every help text rebuilt from it must be the one the real command prints, for every command and
 * subcommand. And the bks bundle runs only the command named on the command line.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands';
import { buildProgram, helpManifest, selectedCommand } from '../../src/cli/main';

function walk(cmd: Command, path: string[] = []): [string, Command][] {
  return [[path.join(' '), cmd], ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))];
}

describe('help manifest', () => {
  it('rebuilds the help of every command and subcommand exactly', async () => {
    const real = await buildProgram(() => {});
    const manifest = JSON.parse(JSON.stringify(await helpManifest())) as Awaited<
      ReturnType<typeof helpManifest>
    >;
    const stubs = await buildProgram(() => {}, undefined, { argv: ['--help'], manifest });
    const a = walk(real);
    const b = new Map(walk(stubs));
    expect(a.length).toBeGreaterThan(commands.length);
    expect([...b.keys()]).toEqual(a.map(([p]) => p));
    for (const [path, cmd] of a)
      expect(b.get(path)?.helpInformation(), `help of "bks ${path}"`).toBe(cmd.helpInformation());
  });

  it('lists every command of commands.ts once, under its own name', async () => {
    const program = await buildProgram(() => {});
    expect(program.commands.map((c) => c.name())).toEqual(commands.map((c) => c.name));
  });

  it('selects the command to load from the first word, never for help', () => {
    expect(selectedCommand(['decode-key', '-'])?.name).toBe('decode-key');
    expect(selectedCommand(['scp', 'check', '--fail-on', 'missing'])?.name).toBe('scp');
    expect(selectedCommand(['find-keys', '--', '-h'])?.name).toBe('find-keys');
    for (const argv of [
      [],
      ['--version'],
      ['-V'],
      ['--help'],
      ['help', 'scan'],
      ['scan', '--help'],
      ['scp', 'list', '-h'],
      ['nosuch'],
    ])
      expect(selectedCommand(argv), argv.join(' ')).toBeUndefined();
  });
});
