/**
 * The npm tarball, packed once per test run and shared by the test files that need it.
 *
 * It is packed the way the Dockerfile's first stage packs it: from a copy of the Docker build
 * context (the files of the clone — tracked and not yet tracked, as git lists them — less what
 * .dockerignore excludes, so no dist/ and no node_modules), with the clone's node_modules beside it
 * as `npm ci` would install them. `npm pack` runs the real build there (prepack, then prepare), so
 * the clone's own dist/ is never rewritten under the other test files, and a file the build needs
 * but .dockerignore leaves out fails here.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}
export const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

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

export interface Packed {
  /** The tarball `npm pack` wrote. */
  tarball: string;
  /** The build context it was packed in (with the dist/ that build made). */
  context: string;
  /** What `npm pack` printed on stdout (pre-commit reads the tarball's name from it). */
  stdout: string;
}

function packIn(dir: string): Packed {
  const context = join(dir, 'context');
  for (const f of buildContextFiles()) {
    mkdirSync(dirname(join(context, f)), { recursive: true });
    cpSync(join(ROOT, f), join(context, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(context, 'node_modules'), 'dir');
  const out = join(dir, 'tarball');
  mkdirSync(out);
  const p = spawnSync('npm', ['pack', '--pack-destination', out], {
    cwd: context,
    encoding: 'utf8',
  });
  if (p.status !== 0) throw new Error(`npm pack failed (exit ${p.status}):\n${p.stdout}\n${p.stderr}`);
  return { tarball: join(out, readdirSync(out)[0] as string), context, stdout: p.stdout };
}

/**
 * The packed tarball of this run: the first test file to ask packs it (holding a lock folder),
 * the others wait for its result.
 */
export async function packedTarball(): Promise<Packed> {
  const dir = join(inject('runDir'), 'pack');
  const done = join(dir, 'packed.json');
  const failed = join(dir, 'failed.txt');
  try {
    mkdirSync(dir); // atomic: whoever creates it packs
  } catch {
    for (let waited = 0; waited < 600_000; waited += 250) {
      if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as Packed;
      if (existsSync(failed)) throw new Error(readFileSync(failed, 'utf8'));
      await sleep(250);
    }
    throw new Error('waited 10 minutes for another test file to pack the tarball');
  }
  try {
    const packed = packIn(dir);
    writeFileSync(done, JSON.stringify(packed));
    return packed;
  } catch (err) {
    writeFileSync(failed, String(err));
    throw err;
  }
}
