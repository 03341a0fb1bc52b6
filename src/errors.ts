/**
 * Errors with an exit code and a one-line message. The CLI prints `bks: <message>` and exits with
 * the code; no stack trace ever reaches a user. Messages must never contain any part of a secret.
 */
import { NEUTRAL_NAMES, type OptionNames } from './options';

export class BksError extends Error {
  private readonly phrase: ((names: OptionNames) => string) | undefined;

  /**
   * `message` may name options: then it is a function of their names, so that each front end words
   * it its own way (`worded`); `.message` names them as the core does without a front end.
   */
  constructor(
    message: Message,
    readonly exitCode: 1 | 2 | 3,
  ) {
    super(typeof message === 'string' ? message : message(NEUTRAL_NAMES));
    this.name = new.target.name;
    this.phrase = typeof message === 'string' ? undefined : message;
  }

  /** The message with every option it mentions named as `names` names it (the CLI: its flags). */
  worded(names: OptionNames): string {
    return this.phrase ? this.phrase(names) : this.message;
  }
}

/** A one-line message, or one that names options: a function of how the front end names them. */
export type Message = string | ((names: OptionNames) => string);

/** Bad usage or bad input: exit 2. */
export class UsageError extends BksError {
  constructor(message: Message) {
    super(message, 2);
  }
}

/** An AWS call or the runtime failed: exit 3. */
export class AwsFailure extends BksError {
  constructor(message: Message) {
    super(message, 3);
  }
}

/** One line describing any thrown value, without a stack. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const name = (err as { name?: string }).name;
    const code = (err as { Code?: string; code?: string }).Code ?? (err as { code?: string }).code;
    const head = code && !err.message.includes(code) ? `${code}: ` : '';
    const msg = (err.message || name || 'error').split('\n')[0];
    return `${head}${msg}`;
  }
  return String(err).split('\n')[0] ?? 'error';
}
