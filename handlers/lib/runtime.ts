/**
 * What every handler shares: one structured JSON logger (Powertools) with a correlation id per
 * invocation, and the environment read once with a one-line error naming a missing variable.
 * The AWS clients come from `clients.ts`.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'bks-pipeline' });

/** Starts an invocation: clears the previous one's keys and tags every line with `id`. */
export function begin(handler: string, correlationId: string | undefined): void {
  logger.resetKeys();
  logger.appendKeys({ handler });
  logger.setCorrelationId(correlationId ?? 'none');
}

export function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`missing environment variable ${name}`);
  return v;
}
