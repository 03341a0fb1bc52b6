/** Every `bks` command, in the order `bks --help` lists them. One import per command file. */
import type { Command } from 'commander';
import type { RunAction } from './main';
import { register as registerScan } from './scan';

export type RegisterCommand = (program: Command, run: RunAction) => void;

export const commands: RegisterCommand[] = [registerScan];
