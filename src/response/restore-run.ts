/**
 * `restore RECORD`: undo a revoke from its record, or recreate users from cleanup backups (a
 * backup file, or a cleanup record naming its backups). Current state is read first; the pure
 * planners in ./restore refuse when the account moved on.
 */
import { readFileSync } from 'node:fs';
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import type { AwsContext } from '../aws';
import { UsageError } from '../errors';
import { type ActResult, actOnPlan, type PlanGate } from './act';
import { iamStepRunner } from './iam-runner';
import { numberSteps, type Plan } from './plan';
import { parseRecord, RECORD_SCHEMA, type RecordSubject } from './record';
import {
  BACKUP_SCHEMA,
  type CurrentState,
  planRestoreBackup,
  planRestoreRevoke,
  type RoleState,
  restoreSubjects,
  type UserBackup,
} from './restore';
import { canonicalPolicy, isNoSuchEntity, readUserState } from './user-state';

export interface RestoreRunResult extends ActResult {
  source: string;
  kind: 'revoke-key' | 'cleanup' | 'backup';
  accountId: string;
  plan: Plan;
}

/** What restore reads: a record or backup, parsed, and where it came from. */
export interface RestoreSource {
  /** The path, or the `s3://` URI with the version read. */
  location: string;
  doc: { schema?: string; accountId?: unknown };
}

function readJson(path: string): { schema?: string } {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { schema?: string };
  } catch (err) {
    throw new UsageError(`${path}: not a readable JSON file (${(err as Error).message.split('\n')[0]})`);
  }
}

/** A record or backup file (bad files fail here, before any AWS call: exit 2). */
export function readLocalSource(path: string): RestoreSource {
  const doc = readJson(path);
  if (!doc || typeof doc !== 'object') throw new UsageError(`${path}: not a bks record or backup`);
  return { location: path, doc };
}

/** The account a record or backup was made in (read before any change). */
export function restoreSourceAccount(source: RestoreSource): string | undefined {
  const a = source.doc.accountId;
  return typeof a === 'string' && /^\d{12}$/.test(a) ? a : undefined;
}

function parseBackup(doc: unknown, location: string): UserBackup {
  const b = doc as Partial<UserBackup>;
  if (b?.schema !== BACKUP_SCHEMA || !b.user?.userName || !b.accountId) {
    throw new UsageError(`${location}: not a bks backup (schema "${BACKUP_SCHEMA}" expected)`);
  }
  return b as UserBackup;
}

function readBackup(path: string): UserBackup {
  return parseBackup(readJson(path), path);
}

async function readRole(iam: IAMClient, roleName: string, policyNames: string[]): Promise<RoleState | null> {
  let roleId: string;
  try {
    const r = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    roleId = r.Role?.RoleId ?? '';
  } catch (err) {
    if (isNoSuchEntity(err)) return null;
    throw err;
  }
  const listed = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  const names = (listed.PolicyNames ?? []).filter((n) => policyNames.includes(n));
  const inlinePolicies = await Promise.all(
    names.map(async (name) => {
      const p = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      return { name, document: canonicalPolicy(p.PolicyDocument ?? '') };
    }),
  );
  return { roleName, roleId, inlinePolicies };
}

export async function runRestore(
  aws: AwsContext,
  from: RestoreSource,
  opts: { gate: PlanGate; recordDir: string },
): Promise<RestoreRunResult> {
  const id = await aws.identity();
  const iam = aws.iam();
  const { doc, location: source } = from;
  let plan: Plan;
  let kind: RestoreRunResult['kind'];
  let subjects: RecordSubject[] = [];
  let accountId: string;
  if (doc.schema === RECORD_SCHEMA) {
    const record = parseRecord(doc, source);
    accountId = record.accountId;
    if (record.accountId !== id.accountId) {
      throw new UsageError(
        `the record is for account ${record.accountId}, the credentials in use are for ${id.accountId}`,
      );
    }
    if (record.command === 'revoke-key') {
      kind = 'revoke-key';
      const names = restoreSubjects(record);
      const policyNames = record.steps
        .map((s) => s.params.PolicyName)
        .filter((n): n is string => typeof n === 'string');
      const current: CurrentState = { users: new Map(), roles: new Map() };
      for (const u of names.users) current.users.set(u, await readUserState(iam, u));
      for (const r of names.roles) current.roles.set(r, await readRole(iam, r, policyNames));
      plan = planRestoreRevoke(record, current);
      subjects = record.subjects;
    } else if (record.command === 'cleanup') {
      kind = 'cleanup';
      plan = { command: 'restore', accountId, partition: record.partition, steps: [], notes: [] };
      const steps: Plan['steps'] = [];
      for (const path of record.backups ?? []) {
        const backup = readBackup(path);
        const sub = planRestoreBackup(backup, await readUserState(iam, backup.user.userName));
        if (sub.refused) {
          plan.refused = sub.refused;
          break;
        }
        steps.push(...sub.steps);
        plan.notes.push(...sub.notes);
      }
      if ((record.backups ?? []).length === 0) {
        plan.notes.push({
          target: source,
          status: 'unchanged',
          message: 'the record names no backup: no user was changed by it',
        });
      }
      plan.steps = numberSteps(steps);
    } else {
      throw new UsageError(
        `${source}: a ${record.command} record cannot be restored (run the command it undid again)`,
      );
    }
  } else if (doc.schema === BACKUP_SCHEMA) {
    kind = 'backup';
    const backup = parseBackup(doc, source);
    accountId = backup.accountId;
    if (backup.accountId !== id.accountId) {
      throw new UsageError(
        `the backup is of account ${backup.accountId}, the credentials in use are for ${id.accountId}`,
      );
    }
    plan = planRestoreBackup(backup, await readUserState(iam, backup.user.userName));
  } else {
    throw new UsageError(
      `${source}: neither a bks record ("${RECORD_SCHEMA}") nor a backup ("${BACKUP_SCHEMA}")`,
    );
  }
  const result = await actOnPlan(plan, {
    gate: opts.gate,
    recordDir: opts.recordDir,
    caller: id.arn,
    target: kind,
    subjects,
    run: iamStepRunner(iam),
    restoredFrom: source,
  });
  return { ...result, source, kind, accountId, plan };
}
