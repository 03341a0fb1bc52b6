/** Every `bks` command, in the order `bks --help` lists them. One import per command file. */
import type { Command } from 'commander';
import { register as cleanup } from './cleanup';
import { register as decodeKey } from './decode-key';
import { register as detections } from './detections';
import { register as findKeys } from './find-keys';
import { register as hunt } from './hunt';
import type { RunAction } from './main';
import { register as report } from './report';
import { register as restore } from './restore';
import { register as revokeKey } from './revoke-key';
import { register as scan } from './scan';
import { register as scp } from './scp';
import { register as timeline } from './timeline';

export type RegisterCommand = (program: Command, run: RunAction) => void;

// biome-ignore format: one command per line, so that parallel branches adding commands merge cleanly
export const commands: RegisterCommand[] = [
  scan,
  decodeKey,
  findKeys,
  hunt,
  detections,
  scp,
  revokeKey,
  restore,
  cleanup,
  timeline,
  report,
];
