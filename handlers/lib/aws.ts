/**
 * The pipeline's way into an incident's account: the one client layer (`src/aws`) and, per
 * account, the responder role named by `BKS_ROLE_NAME` (assumed once per container and account).
 */
import { type AwsContext, createAws } from '../../src/aws';
import { env } from './runtime';

let base: AwsContext | undefined;
const perAccount = new Map<string, Promise<AwsContext>>();

export function baseAws(): AwsContext {
  base ??= createAws({ region: process.env['AWS_REGION'] });
  return base;
}

/** A context acting as the responder role in `account`. */
export function responderAws(account: string): Promise<AwsContext> {
  const role = env('BKS_ROLE_NAME');
  const key = `${role}|${account}`;
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
  base = undefined;
  perAccount.clear();
}
