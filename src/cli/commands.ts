/**
 * Every `bks` command, in the order `bks --help` lists them: one line per command, naming the
 * command and the file that registers it. Files are imported only when their command runs, so a
 * command never pays for the AWS SDK clients of another (`bks --help` and `--version` load none:
 * they are served from the manifest the build writes, see `main.ts`).
 *
 * Adding a command: write src/cli/NAME.ts exporting `register(program, run)`, add its line here,
 * and its page docs/commands/NAME.md.
 */
import type { Command } from 'commander';
import type { RunAction } from './main';

export type RegisterCommand = (program: Command, run: RunAction) => void;

export interface CommandEntry {
  name: string;
  load: () => Promise<{ register: RegisterCommand }>;
}

// biome-ignore format: one command per line, so that parallel branches adding commands merge cleanly
export const commands: CommandEntry[] = [
  { name: 'scan', load: () => import('./scan') },
  { name: 'decode-key', load: () => import('./decode-key') },
  { name: 'find-keys', load: () => import('./find-keys') },
  { name: 'hunt', load: () => import('./hunt') },
  { name: 'detections', load: () => import('./detections') },
  { name: 'scp', load: () => import('./scp') },
  { name: 'revoke-key', load: () => import('./revoke-key') },
  { name: 'restore', load: () => import('./restore') },
  { name: 'cleanup', load: () => import('./cleanup') },
  { name: 'timeline', load: () => import('./timeline') },
  { name: 'report', load: () => import('./report') },
  { name: 'compliance', load: () => import('./compliance') },
  { name: 'coverage', load: () => import('./coverage') },
  { name: 'selftest', load: () => import('./selftest') },
];
