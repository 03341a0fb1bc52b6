/**
 * Each Lambda function has its own environment: its execution role's credentials
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), its name
 * (`AWS_LAMBDA_FUNCTION_NAME`) and its variables. The local runs execute every handler in one
 * process, so `inFunction` runs a handler with such an environment laid over `process.env` for
 * that invocation only (AsyncLocalStorage): handlers running at the same time each see their own,
 * and the AWS SDK's environment credentials are the function role's, as on Lambda.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const overlay = new AsyncLocalStorage<Readonly<Record<string, string>>>();
const proxies = new WeakSet<object>();

/** Makes `process.env` read each invocation's own variables first (idempotent). */
export function installFunctionEnv(): void {
  if (proxies.has(process.env)) return;
  const target = process.env;
  const own = (k: string | symbol): string | undefined => {
    const o = overlay.getStore();
    return o && typeof k === 'string' && Object.hasOwn(o, k) ? o[k] : undefined;
  };
  const proxy = new Proxy(target, {
    get: (t, k) => own(k) ?? Reflect.get(t, k),
    has: (t, k) => own(k) !== undefined || Reflect.has(t, k),
    // Assignments go to the process's own environment (which accepts only plain data properties).
    set: (t, k, v) => Reflect.set(t, k, v),
    deleteProperty: (t, k) => Reflect.deleteProperty(t, k),
  });
  proxies.add(proxy);
  process.env = proxy;
}

/** Runs `fn` as an invocation of a function whose environment is `env` (over the process's). */
export function inFunction<T>(env: Readonly<Record<string, string>>, fn: () => Promise<T>): Promise<T> {
  return overlay.run(env, fn);
}
