/**
 * The CLI's words for the options of the core: the flag of each. The core names an option by its
 * key (src/options.ts); the CLI passes these names to the core's planners and words the core's
 * errors with them (`cliMessage`), so a flag is spelled in src/cli/ only.
 */
import { BksError, describeError } from '../errors';
import type { OptionKey, OptionNames } from '../options';

const FLAGS: Record<OptionKey, string> = {
  region: '--region',
  profile: '--profile',
  orgRole: '--org-role',
  service: '--service',
  force: '--force',
  allKeys: '--all-keys',
  delete: '--delete',
  credential: '--credential',
  exclude: '--exclude',
  olderThan: '--older-than',
  stackName: '--stack-name',
  recordDir: '--record-dir',
  execution: '--execution',
};

/** Each option named by its flag. */
export const FLAG_NAMES: OptionNames = (option) => FLAGS[option];

/** The one line the CLI prints for an error: the core's message, its options named by their flags. */
export function cliMessage(err: unknown): string {
  return err instanceof BksError ? err.worded(FLAG_NAMES) : describeError(err);
}
