/**
 * `cleanup`: the inventory names ORPHANED phantoms (fully read; UNKNOWN is never a candidate);
 * each is read again in full, checked again, planned (./cleanup), and — right before its first
 * change — read a third time: if anything moved since the plan, that user is aborted. A backup
 * of its full IAM state (no secrets) is written before its first change. A user whose deletion
 * failed half-way is named in the record with the steps that remain, and the next run resumes it
 * from that record even though it may no longer look like a phantom (its policy may be gone).
 */

import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { AwsContext } from '../aws';
import { AwsFailure, describeError } from '../errors';
import { collectAccount, type ScanUser } from '../inventory';
import { NEUTRAL_NAMES, type OptionNames } from '../options';
import type { KeyBearingService } from '../services';
import { writePrivateFile } from '../util/private-file';
import { type ActResult, actOnPlan, type PlanGate } from './act';
import { cleanupBlocker, planUserDeletion, stateChanges } from './cleanup';
import { iamStepRunner } from './iam-runner';
import { numberSteps, type Plan, type PlanStep } from './plan';
import { readRecord } from './record';
import { BACKUP_SCHEMA, type UserBackup } from './restore';
import { readUserState, type UserState } from './user-state';

export const DEFAULT_BACKUP_DIR = './bks-backups';

export interface CleanupOptions {
  services: readonly KeyBearingService[];
  olderThanDays?: number;
  exclude?: string[];
  backupDir: string;
  recordDir: string;
  gate: PlanGate;
  now?: Date;
  /** How the caller names these options in the reasons (the CLI: its flags). */
  names?: OptionNames;
}

export interface CleanupRunResult extends Omit<ActResult, 'actions'> {
  accountId: string;
  /** Per user, every call the plan makes (the same list `-y` executes and records). */
  planned: {
    userName: string;
    steps: number;
    calls: { action: string; target: string; reason: string; irreversible?: boolean }[];
    resumedFrom?: string;
  }[];
  deleted: { userName: string; backup: string }[];
  skipped: { userName: string; reason: string }[];
  failed: { userName: string; error: string; backup?: string; remaining: string[] }[];
  actions: ActResult['actions'];
}

/** Users whose deletion an earlier cleanup record left unfinished (DeleteUser not done). */
export function unfinishedCleanups(recordDir: string, accountId: string): Map<string, string> {
  const out = new Map<string, string>();
  let files: string[] = [];
  try {
    files = readdirSync(recordDir).filter((f) => f.startsWith('cleanup-') && f.endsWith('.json'));
  } catch {
    return out;
  }
  for (const f of files.sort()) {
    const path = resolve(join(recordDir, f));
    let record: ReturnType<typeof readRecord>;
    try {
      record = readRecord(path);
    } catch {
      continue;
    }
    if (record.command !== 'cleanup' || record.accountId !== accountId) continue;
    const groups = new Map<string, typeof record.steps>();
    for (const s of record.steps) {
      if (!s.group) continue;
      const list = groups.get(s.group) ?? [];
      list.push(s);
      groups.set(s.group, list);
    }
    for (const [user, steps] of groups) {
      const started = steps.some((s) => s.status === 'done');
      const finished = steps.some((s) => s.action === 'DeleteUser' && s.status === 'done');
      if (finished) out.delete(user);
      else if (started) out.set(user, path);
    }
  }
  return out;
}

/**
 * The orphaned phantoms to delete (corroborated: not by name alone), plus users an earlier cleanup
 * began deleting, and why every other phantom is skipped.
 */
function cleanupCandidates(
  users: ScanUser[],
  opts: CleanupOptions,
  accountId: string,
): { candidates: Map<string, string | undefined>; skipped: CleanupRunResult['skipped'] } {
  const skipped: CleanupRunResult['skipped'] = [];
  const byUser = new Map<string, ScanUser[]>();
  for (const u of users) {
    if (!u.phantom) continue;
    byUser.set(u.userName, [...(byUser.get(u.userName) ?? []), u]);
  }
  const candidates = new Map<string, string | undefined>();
  const resumable = unfinishedCleanups(opts.recordDir, accountId);
  for (const [name, entries] of byUser) {
    const not = entries.find((e) => e.status !== 'ORPHANED');
    if (not) {
      skipped.push({
        userName: name,
        reason: `${not.service}: ${not.status}${not.reasons[0] ? ` (${not.reasons[0]})` : ''}`,
      });
      continue;
    }
    // A name alone never makes a user a phantom for a destructive action: the console attaches the
    // managed policy and issues a key of the service. A user an earlier cleanup began deleting is
    // exempt (its record proves it was corroborated then; it may since have lost both).
    const lookAlike = nameOnlyReason(entries, opts.services);
    if (lookAlike && !resumable.has(name)) skipped.push({ userName: name, reason: lookAlike });
    else candidates.set(name, undefined);
  }
  for (const [name, record] of resumable) candidates.set(name, record);
  return { candidates, skipped };
}

/** Reads each candidate afresh and plans its deletion, or says why it is skipped (appended to `skipped`). */
async function planCleanups(
  iam: IAMClient,
  candidates: Map<string, string | undefined>,
  opts: CleanupOptions,
  now: Date,
  skipped: CleanupRunResult['skipped'],
) {
  const states = new Map<string, UserState>();
  const steps: Omit<PlanStep, 'n'>[] = [];
  const planned: CleanupRunResult['planned'] = [];
  for (const [name, resumedFrom] of [...candidates.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (opts.exclude?.includes(name)) {
      skipped.push({ userName: name, reason: `excluded (${(opts.names ?? NEUTRAL_NAMES)('exclude')})` });
      continue;
    }
    let state: UserState | null;
    try {
      state = await readUserState(iam, name);
    } catch (err) {
      skipped.push({
        userName: name,
        reason: `could not read it fully (${(err as Error).message.split('\n')[0]}): never deleted on partial knowledge`,
      });
      continue;
    }
    if (!state) {
      skipped.push({ userName: name, reason: 'no longer exists' });
      continue;
    }
    const blocker = resumedFrom
      ? resumeBlocker(state, opts, now)
      : cleanupBlocker(state, {
          olderThanDays: opts.olderThanDays,
          exclude: opts.exclude,
          now,
          ...(opts.names ? { names: opts.names } : {}),
        });
    if (blocker) {
      skipped.push({ userName: name, reason: blocker });
      continue;
    }
    states.set(name, state);
    const mine = planUserDeletion(state);
    steps.push(...mine);
    planned.push({
      userName: name,
      steps: mine.length,
      calls: mine.map((c) => ({
        action: `iam:${c.action}`,
        target: c.target,
        reason: c.reason,
        ...(c.irreversible ? { irreversible: true } : {}),
      })),
      ...(resumedFrom ? { resumedFrom } : {}),
    });
  }
  return { states, steps, planned };
}

export async function runCleanup(aws: AwsContext, opts: CleanupOptions): Promise<CleanupRunResult> {
  const now = opts.now ?? new Date();
  const id = await aws.identity();
  const iam = aws.iam();
  const scan = await collectAccount(aws, { services: opts.services, now, accountId: id.accountId });
  if (scan.status !== 'ok')
    throw new AwsFailure(`cannot read the account's inventory: ${scan.error ?? 'unknown error'}`);

  const { candidates, skipped } = cleanupCandidates(scan.users, opts, id.accountId);
  const { states, steps, planned } = await planCleanups(iam, candidates, opts, now, skipped);
  const plan: Plan = {
    command: 'cleanup',
    accountId: id.accountId,
    partition: aws.partition,
    steps: numberSteps(steps),
    notes: skipped.map((s) => ({
      target: `user/${s.userName}`,
      status: 'unchanged' as const,
      message: `skipped: ${s.reason}`,
    })),
  };
  const backups = new Map<string, string>();
  const unbackedUp = new Map<string, string>();
  const result = await actOnPlan(plan, {
    gate: opts.gate,
    recordDir: opts.recordDir,
    caller: id.arn,
    target: 'orphaned-phantoms',
    subjects: [...states.values()].map((s) => ({
      kind: 'user' as const,
      name: s.userName,
      id: s.userId,
      arn: s.arn,
    })),
    run: iamStepRunner(iam),
    hooks: {
      async beforeGroup(userName, writer) {
        const before = states.get(userName);
        const fresh = await readUserState(iam, userName);
        if (!before) return 'not planned';
        if (!fresh) return 'the user disappeared since the plan: nothing done';
        const changes = stateChanges(before, fresh);
        if (changes.length > 0)
          return `changed since the plan (${changes.join(', ')}): aborted, nothing done`;
        const backup: UserBackup = {
          schema: BACKUP_SCHEMA,
          takenAt: new Date().toISOString(),
          accountId: id.accountId,
          partition: aws.partition,
          user: fresh,
        };
        let path: string;
        try {
          path = writeBackup(opts.backupDir, backup);
        } catch (err) {
          // No backup, no deletion: a failure of this run (exit 3), not a skip.
          const reason = `could not write the backup in ${opts.backupDir}: ${describeError(err)}; nothing done`;
          unbackedUp.set(userName, reason);
          return reason;
        }
        backups.set(userName, path);
        await writer.update((r) => {
          r.backups = [...(r.backups ?? []), path];
        });
        return undefined;
      },
    },
  });
  const out: CleanupRunResult = {
    ...result,
    accountId: id.accountId,
    planned,
    deleted: [],
    skipped,
    failed: [],
  };
  if (result.outcome !== 'completed' && result.outcome !== 'failed') return out;
  for (const p of planned) {
    const mine = (result.steps ?? []).filter((s) => s.group === p.userName);
    const backup = backups.get(p.userName);
    if (mine.every((s) => s.status === 'done')) {
      out.deleted.push({ userName: p.userName, backup: backup ?? '' });
      continue;
    }
    const anyDone = mine.some((s) => s.status === 'done');
    const firstBad = mine.find((s) => s.status === 'failed' || s.status === 'not-run');
    if (!anyDone && firstBad?.status === 'not-run' && !unbackedUp.has(p.userName)) {
      out.skipped.push({ userName: p.userName, reason: firstBad.error ?? 'not run' });
      continue;
    }
    out.failed.push({
      userName: p.userName,
      error: mine.find((s) => s.status === 'failed')?.error ?? firstBad?.error ?? 'failed',
      ...(backup ? { backup } : {}),
      remaining: mine.filter((s) => s.status !== 'done').map((s) => `iam:${s.action} ${s.target}`),
    });
  }
  return out;
}

/**
 * Why a phantom's evidence is its name only (undefined = corroborated): no managed policy of the
 * service attached and no credential of the service (in any status) on it, for every service it
 * looked like a phantom of.
 */
export function nameOnlyReason(
  entries: readonly { service: string; evidence: readonly string[] }[],
  services: readonly KeyBearingService[],
): string | undefined {
  const corroborated = entries.some(
    (e) => e.evidence.includes('managed-policy') || e.evidence.includes('service-credential'),
  );
  if (corroborated) return undefined;
  const which = entries.map((e) => services.find((s) => s.id === e.service)).filter((s) => s !== undefined);
  const policies = [...new Set(which.map((s) => s.managedPolicyName))].join(' or ') || 'the managed policy';
  return `look-alike name without ${policies} and no API key of the service: not corroborated as a console phantom; delete it by hand if intended`;
}

/** A user an earlier run began deleting: it may have lost its phantom marks, but nothing may be live. */
function resumeBlocker(state: UserState, opts: CleanupOptions, now: Date): string | undefined {
  if (opts.exclude?.includes(state.userName)) return `excluded (${(opts.names ?? NEUTRAL_NAMES)('exclude')})`;
  const cred = state.credentials.find(
    (c) => c.status === 'Active' && !(c.expiresAt && Date.parse(c.expiresAt) <= now.getTime()),
  );
  if (cred)
    return `credential ${cred.id} (${cred.serviceName}) is Active again since the interrupted cleanup`;
  const key = state.accessKeys.find((k) => k.status === 'Active');
  if (key) return `access key ${key.id} is Active again since the interrupted cleanup`;
  if (state.loginProfile) return 'has a console password again since the interrupted cleanup';
  return undefined;
}

export function writeBackup(dir: string, backup: UserBackup): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = backup.takenAt.replace(/[:.]/g, '-');
  const path = resolve(join(dir, `${backup.user.userName}-${stamp}.json`));
  writePrivateFile(path, `${JSON.stringify(backup, null, 2)}\n`);
  return path;
}
