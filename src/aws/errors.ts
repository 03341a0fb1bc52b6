/** What an AWS SDK error means for a caller that must fail closed. */

/** The AWS error code of an SDK error (`AccessDenied`, `Throttling`, …), or its name. */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { Code?: string; code?: string; name?: string; __type?: string };
    return e.Code ?? e.code ?? e.name ?? 'Error';
  }
  return 'Error';
}

const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthorizationError',
  'AWSOrganizationsNotInUseException',
]);

const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'LimitExceededException',
]);

export function isAccessDenied(err: unknown): boolean {
  return DENIED.has(errorCode(err));
}

export function isThrottled(err: unknown): boolean {
  return THROTTLED.has(errorCode(err));
}

/** `NoSuchEntity` and friends: the thing is not there (a fact, unlike a denied read). */
export function isNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'NoSuchEntity' || code === 'NoSuchEntityException' || code === 'ResourceNotFoundException';
}

/** One line for a failed read: `AccessDenied: message` (no stack, no request details). */
export function describeAwsError(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : '';
  if (!message || message === code || message === 'UnknownError') return code;
  return `${code}: ${message}`;
}
