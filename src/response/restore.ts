/**
 * `restore` planning (pure): undo a revoke from its record, or recreate a deleted user from its
 * cleanup backup. Before undoing anything the current state must still be the state the record
 * left: the same user or role (same unique id), the same credentials, our policy unedited.
 * Otherwise the whole restore is refused with the reason: an undo applied to an account that
 * moved on could re-enable something someone has since meant to disable.
 */
import { emptyPlan, numberSteps, type Plan, type PlanNote, type PlanStep } from './plan';
import type { RecordedStep, ResponseRecord } from './record';
import { LOGIN_PROFILE_NOT_RESTORABLE } from './revoke';
import { canonicalPolicy, type UserState } from './user-state';

export const BACKUP_SCHEMA = 'bks.backup/v1';

/** What cleanup writes before the first change to a user (no secrets: IAM metadata only). */
export interface UserBackup {
  schema: typeof BACKUP_SCHEMA;
  takenAt: string;
  accountId: string;
  partition: string;
  user: UserState;
}

/** Current state of a role's inline policies (for undoing a short-term revoke). */
export interface RoleState {
  roleName: string;
  roleId: string;
  inlinePolicies: { name: string; document: string }[];
}

export interface CurrentState {
  users: Map<string, UserState | null>;
  roles: Map<string, RoleState | null>;
}

type Step = Omit<PlanStep, 'n'>;

/** The names a revoke record's undo steps touch (what restore must read first). */
export function restoreSubjects(record: ResponseRecord): { users: string[]; roles: string[] } {
  const users = new Set<string>();
  const roles = new Set<string>();
  for (const s of record.steps) {
    if (typeof s.params.UserName === 'string') users.add(s.params.UserName);
    if (typeof s.params.RoleName === 'string') roles.add(s.params.RoleName);
  }
  return { users: [...users], roles: [...roles] };
}

function inlineDoc(state: UserState | RoleState, name: string): string | undefined {
  return state.inlinePolicies.find((p) => p.name === name)?.document;
}

export function planRestoreRevoke(record: ResponseRecord, current: CurrentState): Plan {
  const plan = emptyPlan('restore', record);
  const refuse = (why: string): Plan => ({ ...plan, steps: [], refused: `cannot restore safely: ${why}` });
  const steps: Step[] = [];
  const notes: PlanNote[] = [];
  const done = record.steps.filter((s) => s.status === 'done');
  if (done.length === 0) {
    notes.push({
      target: record.target,
      status: 'unchanged',
      message: 'the record shows no completed change: nothing to undo',
    });
  }
  for (const subject of record.subjects) {
    const now = subject.kind === 'user' ? current.users.get(subject.name) : current.roles.get(subject.name);
    if (now === undefined) continue;
    if (now === null) return refuse(`${subject.kind} ${subject.name} no longer exists`);
    const id = 'userId' in now ? now.userId : now.roleId;
    if (subject.id && id !== subject.id) {
      return refuse(
        `${subject.kind} ${subject.name} was deleted and recreated since (id ${subject.id} is now ${id})`,
      );
    }
  }
  for (const s of [...done].reverse()) {
    if (!s.undo) {
      notes.push({
        target: s.target,
        status: 'refused',
        message:
          s.action === 'DeleteLoginProfile'
            ? LOGIN_PROFILE_NOT_RESTORABLE
            : `iam:${s.action} cannot be undone (deleted)`,
      });
      continue;
    }
    const r = undoStep(s, current);
    if ('refused' in r) return refuse(r.refused);
    if ('note' in r) notes.push(r.note);
    else steps.push(r.step);
  }
  plan.steps = numberSteps(steps);
  plan.notes = notes;
  return plan;
}

function undoStep(
  s: RecordedStep,
  current: CurrentState,
): { step: Step } | { note: PlanNote } | { refused: string } {
  const undo = s.undo as NonNullable<RecordedStep['undo']>;
  const userName = typeof s.params.UserName === 'string' ? s.params.UserName : undefined;
  const roleName = typeof s.params.RoleName === 'string' ? s.params.RoleName : undefined;
  const state = userName ? current.users.get(userName) : roleName ? current.roles.get(roleName) : undefined;
  const who = userName ? `user ${userName}` : `role ${roleName}`;
  if (!state) return { refused: `${who} no longer exists` };
  const step: Step = {
    action: undo.action,
    params: undo.params,
    target: s.target,
    reason: `undo step ${s.n} (iam:${s.action}) of the record`,
  };
  switch (s.action) {
    case 'UpdateServiceSpecificCredential': {
      const cred =
        'credentials' in state
          ? state.credentials.find((c) => c.id === s.params.ServiceSpecificCredentialId)
          : undefined;
      if (!cred)
        return {
          refused: `credential ${s.params.ServiceSpecificCredentialId} of ${who} was deleted since the revoke`,
        };
      if (cred.status === undo.params.Status)
        return { note: { target: s.target, status: 'unchanged', message: `already ${cred.status}` } };
      if (cred.status === 'Expired')
        return {
          note: { target: s.target, status: 'info', message: 'expired since: cannot be reactivated' },
        };
      return { step };
    }
    case 'UpdateAccessKey': {
      const key =
        'accessKeys' in state ? state.accessKeys.find((k) => k.id === s.params.AccessKeyId) : undefined;
      if (!key)
        return { refused: `access key ${s.params.AccessKeyId} of ${who} was deleted since the revoke` };
      if (key.status === undo.params.Status)
        return { note: { target: s.target, status: 'unchanged', message: `already ${key.status}` } };
      return { step };
    }
    case 'PutUserPolicy':
    case 'PutRolePolicy': {
      // The record holds both states of the policy: the document the revoke put (the step's
      // params) and the one it replaced (the undo's params; none when the undo is a Delete).
      // The policy must be in one of them: the revoke's (undo it), or the one before (an
      // earlier restore already put it back). Anything else was edited by someone else.
      const name = s.params.PolicyName as string;
      const now = inlineDoc(state, name);
      const after = canonicalPolicy(s.params.PolicyDocument as string);
      const before =
        typeof undo.params.PolicyDocument === 'string'
          ? canonicalPolicy(undo.params.PolicyDocument)
          : undefined;
      if (now === undefined) {
        if (before === undefined) {
          return { note: { target: s.target, status: 'unchanged', message: 'already removed' } };
        }
        return { step };
      }
      const current = canonicalPolicy(now);
      if (current === after) return { step };
      if (before !== undefined && current === before) {
        return {
          note: {
            target: s.target,
            status: 'unchanged',
            message: 'already restored: it holds the document the revoke replaced',
          },
        };
      }
      return {
        refused: `inline policy ${name} of ${who} was edited since the revoke (it is neither the document the revoke put nor the one it replaced)`,
      };
    }
    default:
      return { refused: `step ${s.n}: iam:${s.action} has no known undo` };
  }
}

/**
 * Recreate a deleted user from its backup: the user (path, tags, permissions boundary), its
 * managed and inline policies and its groups. Credentials cannot be recreated (their secrets were
 * never stored anywhere, and a new credential is a new key): the notes say what is lost.
 */
export function planRestoreBackup(backup: UserBackup, current: UserState | null): Plan {
  const b = backup.user;
  const plan = emptyPlan('restore', backup);
  const UserName = b.userName;
  const u = `user/${UserName}`;
  const steps: Step[] = [];
  const notes: PlanNote[] = [];
  if (current && current.userId !== b.userId) {
    if (holdsEverything(current, b)) {
      notes.push({
        target: u,
        status: 'unchanged',
        message: `already restored: ${UserName} exists (id ${current.userId}) with the backup's path, tags, boundary, policies and groups`,
      });
      return { ...plan, notes };
    }
    return {
      ...plan,
      refused: `cannot restore safely: a different user named ${UserName} exists now (id ${current.userId}, the backup's was ${b.userId})`,
    };
  }
  const base = current ?? undefined;
  if (!base) {
    steps.push({
      action: 'CreateUser',
      params: {
        UserName,
        Path: b.path,
        ...(b.permissionsBoundary ? { PermissionsBoundary: b.permissionsBoundary } : {}),
        ...(b.tags.length > 0 ? { Tags: b.tags } : {}),
      },
      target: u,
      reason: `recreate the user deleted by cleanup (path ${b.path}${b.permissionsBoundary ? ', permissions boundary' : ''}${b.tags.length ? `, ${b.tags.length} tag(s)` : ''})`,
    });
  } else {
    notes.push({
      target: u,
      status: 'info',
      message: 'the user still exists (same id): restoring what was removed from it',
    });
    if (b.permissionsBoundary && base.permissionsBoundary !== b.permissionsBoundary) {
      steps.push({
        action: 'PutUserPermissionsBoundary',
        params: { UserName, PermissionsBoundary: b.permissionsBoundary },
        target: u,
        reason: 'restore the permissions boundary',
      });
    }
  }
  for (const p of b.attachedPolicies) {
    if (base?.attachedPolicies.some((x) => x.arn === p.arn)) continue;
    steps.push({
      action: 'AttachUserPolicy',
      params: { UserName, PolicyArn: p.arn },
      target: `${u} managed policy ${p.name}`,
      reason: 'restore',
    });
  }
  for (const p of b.inlinePolicies) {
    const now = base?.inlinePolicies.find((x) => x.name === p.name);
    if (now && now.document === p.document) continue;
    if (now) {
      return {
        ...plan,
        steps: [],
        refused: `cannot restore safely: inline policy ${p.name} of ${UserName} exists with another document`,
      };
    }
    steps.push({
      action: 'PutUserPolicy',
      params: { UserName, PolicyName: p.name, PolicyDocument: p.document },
      target: `${u} inline policy ${p.name}`,
      reason: 'restore',
    });
  }
  for (const g of b.groups) {
    if (base?.groups.includes(g)) continue;
    steps.push({
      action: 'AddUserToGroup',
      params: { UserName, GroupName: g },
      target: `${u} group ${g}`,
      reason: 'restore',
    });
  }
  const lost: string[] = [];
  const count = (n: number, what: string) => n > 0 && lost.push(`${n} ${what}`);
  const missing = <T extends { id: string }>(xs: T[], now: T[] | undefined) =>
    xs.filter((x) => !now?.some((y) => y.id === x.id)).length;
  count(missing(b.credentials, base?.credentials), 'service-specific credential(s) (API keys)');
  count(missing(b.accessKeys, base?.accessKeys), 'access key(s)');
  count(b.loginProfile && !base?.loginProfile ? 1 : 0, 'console password');
  count(b.mfaDevices.filter((m) => !base?.mfaDevices.includes(m)).length, 'MFA device(s) (deactivated)');
  count(missing(b.sshPublicKeys, base?.sshPublicKeys), 'SSH public key(s)');
  count(missing(b.signingCertificates, base?.signingCertificates), 'signing certificate(s)');
  if (lost.length > 0) {
    notes.push({
      target: u,
      status: 'info',
      message: `credentials cannot be recreated: ${lost.join(', ')} are gone for good; issue new ones if the user is needed`,
    });
  }
  if (!base) {
    notes.push({
      target: u,
      status: 'info',
      message: `the recreated user gets a new unique id (the old one was ${b.userId})`,
    });
  }
  plan.steps = numberSteps(steps);
  plan.notes = notes;
  return plan;
}

/** True when `current` carries every restorable part of the backed-up user. */
function holdsEverything(current: UserState, b: UserState): boolean {
  return (
    current.path === b.path &&
    (current.permissionsBoundary ?? '') === (b.permissionsBoundary ?? '') &&
    b.tags.every((t) => current.tags.some((x) => x.Key === t.Key && x.Value === t.Value)) &&
    b.attachedPolicies.every((p) => current.attachedPolicies.some((x) => x.arn === p.arn)) &&
    b.inlinePolicies.every((p) =>
      current.inlinePolicies.some((x) => x.name === p.name && x.document === p.document),
    ) &&
    b.groups.every((g) => current.groups.includes(g))
  );
}
