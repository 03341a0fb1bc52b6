/** Every `bks` command, in the order `bks --help` lists them. One import per command file. */
import type { Command } from 'commander';
import { register as detections } from './detections';
import { register as hunt } from './hunt';
import type { RunAction } from './main';

export type RegisterCommand = (program: Command, run: RunAction) => void;

export const commands: RegisterCommand[] = [hunt, detections];
