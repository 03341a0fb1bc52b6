/**
 * Vitest setup of the projects whose files share worker processes (`isolate: false`, vitest.config
 * .mts): whatever process-wide state a file changes is put back when it ends, so the next file in
 * the same worker starts as it would in a fresh one. Put back: the environment (vi.stubEnv, direct
 * writes and deletes, and a `process.env` object swapped for a copy), the working directory,
 * `process.exitCode`, globals stubbed with vi.stubGlobal and fake timers. Spies made with vi.spyOn
 * are restored by Vitest itself after each file. Setup files run before the file's own hooks are
 * registered, so this afterAll runs after every afterAll of the file.
 */
import { afterAll, vi } from 'vitest';

const env = process.env;
const saved = { ...process.env };
const cwd = process.cwd();
const exitCode = process.exitCode;

afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  if (process.env !== env) process.env = env;
  for (const k of Object.keys(env)) if (!(k in saved)) delete env[k];
  for (const [k, v] of Object.entries(saved)) if (env[k] !== v) env[k] = v;
  if (process.cwd() !== cwd) process.chdir(cwd);
  process.exitCode = exitCode;
});
