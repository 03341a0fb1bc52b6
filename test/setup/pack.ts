/**
 * Packing the npm tarball once per test run (used by test/setup/global.ts, which starts it in the
 * background when the run includes a file that needs it, and by test/package/packed.ts, which waits
 * for it or packs itself).
 *
 * It is packed the way the Dockerfile's first stage packs it: from a copy of the Docker build
 * context (the files of the clone — tracked and not yet tracked, as git lists them — less what
 * .dockerignore excludes, so no dist/ and no node_modules), with the clone's node_modules beside it
 * as `npm ci` would install them. `npm pack` runs the real build there (prepack, then prepare), so
 * the clone's own dist/ is never rewritten under the other test files, and a file the build needs
 * but .dockerignore leaves out fails the tests.
 *
 * The run folder holds `pack/` (created by whoever packs: a lock), then `pack/packed.json` or
 * `pack/failed.txt`.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** The test files that use the packed tarball. */
export const PACK_USERS = ['test/package/package.test.ts', 'test/package/integrations.test.ts'];

export interface Packed {
  /** The tarball `npm pack` wrote. */
  tarball: string;
  /** The build context it was packed in (with the dist/ that build made). */
  context: string;
  /** What `npm pack` printed on stdout (pre-commit reads the tarball's name from it). */
  stdout: string;
}

const GLOB: Record<string, string> = { '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' };

/** The patterns of .dockerignore as path matchers (Docker's syntax without `!` exceptions). */
export function dockerIgnore(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const bad = patterns.find((p) => p.startsWith('!'));
  if (bad) throw new Error(`.dockerignore: exceptions (${bad}) are not understood by this test`);
  const res = patterns.map((p) => {
    const body = p
      .replace(/^\/+|\/+$/g, '')
      .split(/(\*\*\/?|\*|\?)/)
      .map((part) => GLOB[part] ?? part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
      .join('');
    return new RegExp(`^${body}$`);
  });
  // A path is excluded when it, or a folder above it, matches a pattern.
  return (path) => {
    const parts = path.split('/');
    return parts.some((_, i) => {
      const prefix = parts.slice(0, i + 1).join('/');
      return res.some((re) => re.test(prefix));
    });
  };
}

/** The files `docker build .` sends from this clone. */
export function buildContextFiles(): string[] {
  const ls = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (ls.status !== 0) throw new Error(`git ls-files: ${ls.stderr}`);
  const ignored = dockerIgnore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
  return ls.stdout
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(ROOT, f)) && !ignored(f))
    .sort();
}

/** Written whole or not at all (the waiters poll for it). */
function publish(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

const files = (runDir: string) => {
  const dir = join(runDir, 'pack');
  return { dir, done: join(dir, 'packed.json'), failed: join(dir, 'failed.txt') };
};

/**
 * Takes the pack lock and packs in the background; resolves when done (never rejects: a failure is
 * written for the waiters). Undefined when another process holds the lock. `child` is the running
 * `npm pack`, for a teardown to stop.
 */
export function startPack(
  runDir: string,
): { finished: Promise<void>; child: () => { kill(): void } | undefined } | undefined {
  const f = files(runDir);
  try {
    mkdirSync(f.dir); // atomic: whoever creates it packs
  } catch {
    return undefined;
  }
  let child: ReturnType<typeof spawn> | undefined;
  const finished = new Promise<void>((ok) => {
    const fail = (why: string) => {
      publish(f.failed, why);
      ok();
    };
    try {
      const context = join(f.dir, 'context');
      for (const file of buildContextFiles()) {
        mkdirSync(dirname(join(context, file)), { recursive: true });
        cpSync(join(ROOT, file), join(context, file));
      }
      symlinkSync(join(ROOT, 'node_modules'), join(context, 'node_modules'), 'dir');
      const out = join(f.dir, 'tarball');
      mkdirSync(out);
      let stdout = '';
      let stderr = '';
      child = spawn('npm', ['pack', '--pack-destination', out], {
        cwd: context,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (b) => {
        stdout += b;
      });
      child.stderr!.on('data', (b) => {
        stderr += b;
      });
      child.on('error', (err) => fail(`npm pack could not start: ${err.message}`));
      child.on('close', (code) => {
        if (code !== 0) return fail(`npm pack failed (exit ${code}):\n${stdout}\n${stderr}`);
        const tarball = join(out, readdirSync(out)[0] as string);
        publish(f.done, JSON.stringify({ tarball, context, stdout } satisfies Packed));
        ok();
      });
    } catch (err) {
      fail(`packing failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return { finished, child: () => child };
}

/** The packed tarball of this run: packed here if nobody has started it, else waited for. */
export async function packed(runDir: string): Promise<Packed> {
  const f = files(runDir);
  await startPack(runDir)?.finished;
  for (let waited = 0; waited < 900_000; waited += 250) {
    if (existsSync(f.done)) return JSON.parse(readFileSync(f.done, 'utf8')) as Packed;
    if (existsSync(f.failed)) throw new Error(readFileSync(f.failed, 'utf8'));
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('waited 15 minutes for the tarball to be packed');
}
