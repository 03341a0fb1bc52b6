/**
 * Leak hunting: scan files, directory trees, stdin and whole git histories for keys, and fold the
 * matches into findings (one per distinct key, with every location). Nothing here ever holds on to
 * a key's text: matches carry the decoded, non-secret fields and a SHA-256 of the secret.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors';
import type { ServiceId } from '../services';
import type { AccessKeyIdType } from './accountId';
import {
  type KeyMatch,
  type KeyMatchValue,
  looksBinary,
  ReadBuffer,
  type ScanOptions,
  type ScanStats,
  scanBytes,
  scanFile,
} from './scan';

export const DEFAULT_MAX_FILE_SIZE: number = 25 * 1024 * 1024;

export type FindingKind = 'long-term' | 'short-term' | 'bearer-env-assignment';

export interface FindingLocation {
  /** File path as given or found under a given directory; `-` for stdin; the blob's path for git. */
  path: string;
  line: number;
  column: number;
  /** Git scans: the blob holding the key and the commits that added or removed it. */
  blob?: string;
  commits?: string[];
}

export interface Finding {
  /** Stable id of the key (a hash of its kind and secret fingerprint; not reversible). */
  id: string;
  service: ServiceId | 'unknown';
  kind: FindingKind;
  accountId?: string;
  userName?: string;
  credentialIndex?: number;
  userArn?: string;
  accessKeyId?: string;
  accessKeyType?: AccessKeyIdType;
  region?: string;
  issuedAt?: string;
  expiresAt?: string;
  /** `true`/`false` for short-term keys; `null` when the text carries no expiry (long-term keys, env values). */
  expired: boolean | null;
  /** The environment variable name of a `bearer-env-assignment`. */
  envVar?: string;
  secretSha256: string;
  locations: FindingLocation[];
}

export interface SkippedInput {
  path: string;
  reason: 'binary' | 'too-large' | 'unreadable' | 'not-a-regular-file';
}

export interface FindKeysResult {
  generatedAt: string;
  scanned: { files: number; bytes: number; gitBlobs: number };
  skipped: SkippedInput[];
  candidates: ScanStats;
  findings: Finding[];
}

export interface FindKeysOptions extends ScanOptions {
  /** Scan every blob reachable in each path's git history instead of the files. */
  git?: boolean;
  /** Files (and blobs) larger than this are skipped and listed (default 25 MiB). */
  maxFileSize?: number;
  /** Where `-` reads from (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

class FindingSet {
  private readonly byId = new Map<string, Finding>();

  add(value: KeyMatchValue, location: FindingLocation): void {
    const id = createHash('sha256')
      .update(`${value.service}\0${value.kind}\0${value.secretSha256}`)
      .digest('hex')
      .slice(0, 16);
    let finding = this.byId.get(id);
    if (!finding) {
      finding = toFinding(id, value);
      this.byId.set(id, finding);
    }
    const same = finding.locations.find(
      (l) =>
        l.path === location.path &&
        l.line === location.line &&
        l.column === location.column &&
        l.blob === location.blob,
    );
    if (!same) finding.locations.push(location);
  }

  list(): Finding[] {
    const all = [...this.byId.values()];
    for (const f of all) f.locations.sort(compareLocations);
    return all.sort((a, b) => compareLocations(a.locations[0]!, b.locations[0]!));
  }
}

function compareLocations(a: FindingLocation, b: FindingLocation): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.column - b.column;
}

function toFinding(id: string, v: KeyMatchValue): Finding {
  switch (v.kind) {
    case 'long-term':
      return {
        id,
        service: v.service,
        kind: v.kind,
        accountId: v.accountId,
        userName: v.userName,
        credentialIndex: v.credentialIndex,
        userArn: v.userArn,
        expired: null,
        secretSha256: v.secretSha256,
        locations: [],
      };
    case 'short-term':
      return {
        id,
        service: v.service,
        kind: v.kind,
        accountId: v.accountId,
        accessKeyId: v.accessKeyId,
        accessKeyType: v.accessKeyType,
        region: v.region,
        issuedAt: v.issuedAt,
        expiresAt: v.expiresAt,
        expired: v.expired,
        secretSha256: v.secretSha256,
        locations: [],
      };
    default:
      return {
        id,
        service: v.service,
        kind: v.kind,
        envVar: v.envVar,
        expired: null,
        secretSha256: v.secretSha256,
        locations: [],
      };
  }
}

interface Accumulator {
  findings: FindingSet;
  scanned: FindKeysResult['scanned'];
  skipped: SkippedInput[];
  candidates: ScanStats;
}

function addStats(acc: Accumulator, stats: ScanStats): void {
  acc.candidates.candidates += stats.candidates;
  acc.candidates.rejected += stats.rejected;
}

function addMatches(
  acc: Accumulator,
  matches: KeyMatch[],
  where: Omit<FindingLocation, 'line' | 'column'>,
): void {
  for (const m of matches) acc.findings.add(m.value, { ...where, line: m.line, column: m.column });
}

/** Scans paths (files, directories, `-` for stdin) or, with `git`, the histories of repositories. */
export async function findKeysInPaths(
  paths: readonly string[],
  opts: FindKeysOptions = {},
): Promise<FindKeysResult> {
  if (paths.length === 0) throw new UsageError('give at least one PATH (or - for stdin)');
  const maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  for (const p of paths) {
    if (p === '-') {
      if (opts.git) throw new UsageError('git histories are read from repositories: - (stdin) is not one');
      continue;
    }
    try {
      statSync(p);
    } catch {
      throw new UsageError(`no such file or directory: ${p}`);
    }
  }
  const acc: Accumulator = {
    findings: new FindingSet(),
    scanned: { files: 0, bytes: 0, gitBlobs: 0 },
    skipped: [],
    candidates: { candidates: 0, rejected: 0 },
  };
  const rb = new ReadBuffer();
  for (const p of paths) {
    if (p === '-') await scanStdin(acc, opts);
    else if (opts.git) await scanGitHistory(p, acc, opts, maxFileSize);
    else walk(p, acc, opts, maxFileSize, rb, true);
  }
  return {
    generatedAt: new Date().toISOString(),
    scanned: acc.scanned,
    skipped: acc.skipped,
    candidates: acc.candidates,
    findings: acc.findings.list(),
  };
}

function walk(
  path: string,
  acc: Accumulator,
  opts: ScanOptions,
  maxFileSize: number,
  rb: ReadBuffer,
  given: boolean,
): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    // A path given on the command line may be a symlink; links met while walking are not followed.
    st = given ? statSync(path) : lstatSync(path);
  } catch {
    acc.skipped.push({ path, reason: 'unreadable' });
    return;
  }
  if (st.isDirectory()) {
    let entries: string[];
    try {
      entries = readdirSync(path).sort();
    } catch {
      acc.skipped.push({ path, reason: 'unreadable' });
      return;
    }
    for (const name of entries) {
      if (name === '.git') continue;
      walk(join(path, name), acc, opts, maxFileSize, rb, false);
    }
    return;
  }
  if (!st.isFile()) {
    if (given) acc.skipped.push({ path, reason: 'not-a-regular-file' });
    return;
  }
  if (st.size > maxFileSize) {
    acc.skipped.push({ path, reason: 'too-large' });
    return;
  }
  let r: ReturnType<typeof scanFile>;
  try {
    r = scanFile(path, opts, rb);
  } catch {
    acc.skipped.push({ path, reason: 'unreadable' });
    return;
  }
  if (r === 'binary') {
    acc.skipped.push({ path, reason: 'binary' });
    return;
  }
  acc.scanned.files++;
  acc.scanned.bytes += r.bytes;
  addStats(acc, r.stats);
  addMatches(acc, r.matches, { path });
}

async function scanStdin(acc: Accumulator, opts: FindKeysOptions): Promise<void> {
  const stream = opts.stdin ?? process.stdin;
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  const data = Buffer.concat(chunks);
  const r = scanBytes(data, opts);
  acc.scanned.files++;
  acc.scanned.bytes += data.length;
  addStats(acc, r.stats);
  addMatches(acc, r.matches, { path: '-' });
}

/** Runs git and collects its stdout; a failure is a usage error naming the repository. */
function git(repo: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', () => reject(new UsageError('git is not installed or cannot be run')));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else {
        const msg = Buffer.concat(err).toString('utf8').trim().split('\n')[0] ?? '';
        reject(new UsageError(`git ${args[0]} failed in ${repo}: ${msg}`));
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/**
 * Every blob reachable from any ref (`rev-list --all --objects`), filtered to blobs within the size
 * limit (`cat-file --batch-check`), read in one `cat-file --batch` stream. For each blob with a
 * finding, `log --find-object` names the commits that added or removed it.
 */
async function scanGitHistory(
  repo: string,
  acc: Accumulator,
  opts: ScanOptions,
  maxFileSize: number,
): Promise<void> {
  try {
    await git(repo, ['rev-parse', '--git-dir']);
  } catch {
    throw new UsageError(`not a git repository: ${repo}`);
  }
  const listing = (await git(repo, ['rev-list', '--all', '--objects'])).toString('utf8');
  const pathOf = new Map<string, string>();
  for (const line of listing.split('\n')) {
    if (line.length < 41) continue;
    const sha = line.slice(0, 40);
    if (!pathOf.has(sha)) pathOf.set(sha, line.slice(41));
  }
  if (pathOf.size === 0) return;
  const check = (
    await git(
      repo,
      ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'],
      `${[...pathOf.keys()].join('\n')}\n`,
    )
  ).toString('utf8');
  const blobs: string[] = [];
  for (const line of check.split('\n')) {
    const [sha, type, size] = line.split(' ');
    if (type !== 'blob' || !sha) continue;
    if (Number(size) > maxFileSize)
      acc.skipped.push({ path: `${pathOf.get(sha) ?? ''}@${sha}`, reason: 'too-large' });
    else blobs.push(sha);
  }
  if (blobs.length === 0) return;
  const hits = new Map<string, KeyMatch[]>();
  await catFileBatch(repo, blobs, (sha, data) => {
    if (looksBinary(data, data.length)) return;
    acc.scanned.gitBlobs++;
    acc.scanned.bytes += data.length;
    const r = scanBytes(data, opts);
    addStats(acc, r.stats);
    if (r.matches.length > 0) hits.set(sha, r.matches);
  });
  for (const [sha, matches] of hits) {
    const log = (await git(repo, ['log', '--all', '--format=%H', `--find-object=${sha}`])).toString('utf8');
    const commits = log.split('\n').filter((l) => /^[0-9a-f]{40}$/.test(l));
    addMatches(acc, matches, { path: pathOf.get(sha) ?? sha, blob: sha, commits });
  }
}

/** Streams `git cat-file --batch` and calls `onBlob` for each object, in order. */
function catFileBatch(
  repo: string,
  shas: string[],
  onBlob: (sha: string, data: Buffer) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let pending: Buffer = Buffer.alloc(0); // header bytes not yet parsed
    let blob: { sha: string; data: Buffer; filled: number } | undefined; // content being collected
    let failed: Error | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      let rest: Buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      pending = Buffer.alloc(0);
      while (rest.length > 0) {
        if (blob) {
          // Content plus the newline git writes after it; copied once into a buffer of the right size.
          const need = blob.data.length - blob.filled;
          const n = Math.min(need, rest.length);
          rest.copy(blob.data, blob.filled, 0, n);
          blob.filled += n;
          rest = rest.subarray(n);
          if (blob.filled === blob.data.length) {
            try {
              onBlob(blob.sha, blob.data.subarray(0, blob.data.length - 1));
            } catch (err) {
              failed ??= err as Error;
            }
            blob = undefined;
          }
          continue;
        }
        const nl = rest.indexOf(10);
        if (nl === -1) {
          pending = Buffer.from(rest);
          break;
        }
        const [sha, type, size] = rest.toString('latin1', 0, nl).split(' ');
        rest = rest.subarray(nl + 1);
        if (type === 'missing' || !sha || size === undefined) continue;
        blob = { sha, data: Buffer.allocUnsafe(Number(size) + 1), filled: 0 };
      }
    });
    child.on('error', () => reject(new UsageError('git is not installed or cannot be run')));
    child.on('close', (code) => {
      if (failed) reject(failed);
      else if (code !== 0) reject(new UsageError(`git cat-file failed in ${repo}`));
      else resolve();
    });
    child.stdin.on('error', () => {});
    child.stdin.end(`${shas.join('\n')}\n`);
  });
}
