import { UsageError } from '../errors';

/**
 * A text that is not a valid key. The message is one fixed line naming what is wrong; it never
 * contains any part of the input (which may be a secret), so it is safe to print and log.
 */
export class KeyDecodeError extends UsageError {}

/**
 * The non-throwing form of a decode failure, used on the scanner's hot path (an exception costs a
 * stack capture per rejected candidate). Same fixed, secret-free reasons.
 */
export class Rejected {
  constructor(readonly reason: string) {}
}
