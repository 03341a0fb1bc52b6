/**
 * The options of the core, as a front end names them. The core never spells a CLI flag (the CLI
 * owns the words users type, docs/architecture.md): a message about an option names it by its key
 * through the `OptionNames` its caller passes, and an error about one words itself as a function
 * of those names (`BksError.worded`). Without names (a Lambda function, a library user) the core
 * says what the option is.
 */
export type OptionKey =
  | 'region'
  | 'profile'
  | 'orgRole'
  | 'service'
  | 'force'
  | 'allKeys'
  | 'delete'
  | 'credential'
  | 'exclude'
  | 'olderThan'
  | 'stackName'
  | 'recordDir'
  | 'execution';

/** How a front end names an option (the CLI: its flag). */
export type OptionNames = (option: OptionKey) => string;

const NEUTRAL: Record<OptionKey, string> = {
  region: 'the region',
  profile: 'a profile',
  orgRole: 'the organization role',
  service: 'the service',
  force: 'the force option',
  allKeys: 'the all-keys option',
  delete: 'the delete option',
  credential: 'the credential option',
  exclude: 'the exclusion list',
  olderThan: 'the minimum age',
  stackName: 'the stack name',
  recordDir: 'the record folder',
  execution: 'the execution',
};

/** The names the core uses when its caller gives none. */
export const NEUTRAL_NAMES: OptionNames = (option) => NEUTRAL[option];
