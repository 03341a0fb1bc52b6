/**
 * The run record of a selftest: written (mode 0600, never through a symbolic link) BEFORE the
 * canary's first call and updated after each, removed once the canary is gone. A run that was
 * killed leaves its record behind; the next run finishes the cleanup from it. No secret is ever
 * part of it (the key exists only in memory, for the one bearer call).
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { writePrivateFile } from '../util/private-file';

export const RECORD_SCHEMA = 'bks.selftest-record/v1';

export interface RunRecord {
  schema: typeof RECORD_SCHEMA;
  runId: string;
  account: string;
  partition: string;
  userName: string;
  policyArn: string;
  /** The approval table the canary's run id is recorded in, and its region. */
  table: string;
  homeRegion: string;
  startedAt: string;
  /** What exists so far (updated after each call). */
  created: { tableItem: boolean; user: boolean; policy: boolean; credentialId?: string };
}

export function defaultRecordDir(): string {
  return join(homedir(), '.bks', 'selftest');
}

/** Creates the folder (0700) if needed; refuses a folder that is a symbolic link or not a folder. */
export function ensureRecordDir(dir: string): void {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return;
  }
  if (st.isSymbolicLink())
    throw new UsageError((names) => `${names('recordDir')} ${dir} is a symbolic link: give the real folder`);
  if (!st.isDirectory()) throw new UsageError((names) => `${names('recordDir')} ${dir} is not a folder`);
}

export function recordPath(dir: string, runId: string): string {
  return join(dir, `${runId}.json`);
}

export function writeRecord(dir: string, record: RunRecord): string {
  const path = recordPath(dir, record.runId);
  writePrivateFile(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

export function removeRecord(dir: string, runId: string): void {
  rmSync(recordPath(dir, runId), { force: true });
}

function isRecord(v: unknown): v is RunRecord {
  const r = v as RunRecord;
  return (
    typeof v === 'object' &&
    v !== null &&
    r.schema === RECORD_SCHEMA &&
    typeof r.runId === 'string' &&
    typeof r.userName === 'string' &&
    typeof r.account === 'string' &&
    typeof r.created === 'object'
  );
}

/** Records left by runs that did not finish (unreadable files are reported, never deleted). */
export function pendingRecords(dir: string): { records: RunRecord[]; unreadable: string[] } {
  const records: RunRecord[] = [];
  const unreadable: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => /^[a-z0-9]{10}\.json$/.test(n));
  } catch {
    return { records, unreadable };
  }
  for (const name of names.sort()) {
    const path = join(dir, name);
    try {
      if (lstatSync(path).isSymbolicLink()) throw new Error('symbolic link');
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (!isRecord(parsed)) throw new Error('not a selftest record');
      records.push(parsed);
    } catch {
      unreadable.push(path);
    }
  }
  return { records, unreadable };
}
