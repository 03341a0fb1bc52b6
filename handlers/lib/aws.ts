/**
 * The pipeline's way into an incident's account: the one client layer (`src/aws`) and, per
 * account, the responder role named by `BKS_ROLE_NAME` (assumed once per container and account).
 */
import { type AwsContext, createAws } from '../../src/aws';
import { env } from './runtime';

/** By function (`AWS_LAMBDA_FUNCTION_NAME`): local runs execute every function in one process. */
const base = new Map<string, AwsContext>();
const perAccount = new Map<string, Promise<AwsContext>>();
const fn = () => process.env['AWS_LAMBDA_FUNCTION_NAME'] ?? '';

export function baseAws(): AwsContext {
  let ctx = base.get(fn());
  if (!ctx) {
    ctx = createAws({ region: process.env['AWS_REGION'] });
    base.set(fn(), ctx);
  }
  return ctx;
}

/** A context acting as the responder role in `account`. */
export function responderAws(account: string): Promise<AwsContext> {
  const role = env('BKS_ROLE_NAME');
  const key = `${fn()}|${role}|${account}`;
  let ctx = perAccount.get(key);
  if (!ctx) {
    ctx = baseAws().forAccount(account, { role, command: 'pipeline' });
    ctx.catch(() => perAccount.delete(key));
    perAccount.set(key, ctx);
  }
  return ctx;
}

/** Drops cached contexts (tests point the same process at a fresh simulator). */
export function resetAws(): void {
  base.clear();
  perAccount.clear();
}
