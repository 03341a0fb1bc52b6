/**
 * Errors with an exit code and a one-line message. The CLI prints `bks: <message>` and exits with
 * the code; no stack trace ever reaches a user. Messages must never contain any part of a secret.
 */
export class BksError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 | 3,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad usage or bad input: exit 2. */
export class UsageError extends BksError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** An AWS call or the runtime failed: exit 3. */
export class AwsFailure extends BksError {
  constructor(message: string) {
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
