/**
 * `cleanup` planning (pure). Deletes a phantom only when its freshly read state shows nothing in
 * use, in the order that lets `DeleteUser` succeed: everything AWS counts as a `DeleteConflict`
 * (login profile, MFA devices, SSH keys, signing certificates, group memberships, every service's
 * credentials, access keys, attached and inline policies) goes first. A permissions boundary does
 * not block deletion and stays in the backup.
 */

import { NEUTRAL_NAMES, type OptionNames } from '../options';
import { notOrphanedReason } from './classify-state';
import type { PlanStep } from './plan';
import type { UserState } from './user-state';

type Step = Omit<PlanStep, 'n'>;

export interface CleanupFilters {
  olderThanDays?: number;
  exclude?: readonly string[];
  now: Date;
  /** How the caller names these filters in the reasons (the CLI: its flags). */
  names?: OptionNames;
}

/**
 * Why this user must not be deleted now (undefined = it may). Checked at plan time and again
 * right before the first change (the state may have moved in between).
 */
export function cleanupBlocker(user: UserState, filters: CleanupFilters): string | undefined {
  const names = filters.names ?? NEUTRAL_NAMES;
  if (filters.exclude?.includes(user.userName)) return `excluded (${names('exclude')})`;
  const verdict = notOrphanedReason(user, filters.now);
  if (verdict) return verdict;
  const activeCred = user.credentials.find((c) => c.status === 'Active');
  if (activeCred) return `credential ${activeCred.id} (${activeCred.serviceName}) is Active`;
  const activeKey = user.accessKeys.find((k) => k.status === 'Active');
  if (activeKey) return `access key ${activeKey.id} is Active`;
  if (filters.olderThanDays !== undefined) {
    const created = user.createdAt ? Date.parse(user.createdAt) : Number.NaN;
    if (Number.isNaN(created)) return `creation date unknown (${names('olderThan')} cannot be checked)`;
    const ageDays = (filters.now.getTime() - created) / 86_400_000;
    if (ageDays < filters.olderThanDays) {
      return `created ${Math.floor(ageDays)} day(s) ago, not older than ${filters.olderThanDays} (${names('olderThan')})`;
    }
  }
  return undefined;
}

/** Every call that removes the user, in a safe order; all in the user's group, all irreversible. */
export function planUserDeletion(user: UserState): Step[] {
  const UserName = user.userName;
  const u = `user/${UserName}`;
  const steps: Step[] = [];
  const push = (action: Step['action'], params: Step['params'], target: string, reason: string) =>
    steps.push({
      action,
      params: { UserName, ...params },
      target,
      reason,
      irreversible: true,
      group: UserName,
    });
  if (user.loginProfile)
    push('DeleteLoginProfile', {}, `${u} login profile`, 'a console password blocks DeleteUser');
  for (const serial of user.mfaDevices) {
    push(
      'DeactivateMFADevice',
      { SerialNumber: serial },
      `${u} MFA device ${serial}`,
      'an MFA device blocks DeleteUser',
    );
  }
  for (const k of user.sshPublicKeys) {
    push(
      'DeleteSSHPublicKey',
      { SSHPublicKeyId: k.id },
      `${u} SSH public key ${k.id}`,
      'an SSH key blocks DeleteUser',
    );
  }
  for (const c of user.signingCertificates) {
    push(
      'DeleteSigningCertificate',
      { CertificateId: c.id },
      `${u} signing certificate ${c.id}`,
      'a signing certificate blocks DeleteUser',
    );
  }
  for (const g of user.groups) {
    push('RemoveUserFromGroup', { GroupName: g }, `${u} group ${g}`, 'a group membership blocks DeleteUser');
  }
  for (const c of user.credentials) {
    push(
      'DeleteServiceSpecificCredential',
      { ServiceSpecificCredentialId: c.id },
      `${u} credential ${c.id} (${c.serviceName}, ${c.status})`,
      'a service-specific credential of any service blocks DeleteUser',
    );
  }
  for (const k of user.accessKeys) {
    push(
      'DeleteAccessKey',
      { AccessKeyId: k.id },
      `${u} access key ${k.id} (${k.status})`,
      'an access key blocks DeleteUser',
    );
  }
  for (const p of user.attachedPolicies) {
    push(
      'DetachUserPolicy',
      { PolicyArn: p.arn },
      `${u} managed policy ${p.name}`,
      'an attached policy blocks DeleteUser',
    );
  }
  for (const p of user.inlinePolicies) {
    push(
      'DeleteUserPolicy',
      { PolicyName: p.name },
      `${u} inline policy ${p.name}`,
      'an inline policy blocks DeleteUser',
    );
  }
  push('DeleteUser', {}, u, 'orphaned phantom: no active credential or access key');
  return steps;
}

/** A stable text of a user's state, to tell whether anything changed between two reads. */
export function stateFingerprint(user: UserState): string {
  const sorted = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
  return JSON.stringify({
    ...user,
    tags: sorted(user.tags, (t) => t.Key),
    credentials: sorted(user.credentials, (c) => c.id),
    accessKeys: sorted(user.accessKeys, (k) => k.id),
    attachedPolicies: sorted(user.attachedPolicies, (p) => p.arn),
    inlinePolicies: sorted(user.inlinePolicies, (p) => p.name),
    groups: [...user.groups].sort(),
    mfaDevices: [...user.mfaDevices].sort(),
    sshPublicKeys: sorted(user.sshPublicKeys, (k) => k.id),
    signingCertificates: sorted(user.signingCertificates, (c) => c.id),
  });
}

/** Names what differs between two reads of a user (for the abort message). */
export function stateChanges(before: UserState, after: UserState): string[] {
  const changes: string[] = [];
  const keys: (keyof UserState)[] = [
    'userId',
    'path',
    'permissionsBoundary',
    'tags',
    'credentials',
    'accessKeys',
    'attachedPolicies',
    'inlinePolicies',
    'groups',
    'loginProfile',
    'mfaDevices',
    'sshPublicKeys',
    'signingCertificates',
  ];
  const a = JSON.parse(stateFingerprint(before)) as Record<string, unknown>;
  const b = JSON.parse(stateFingerprint(after)) as Record<string, unknown>;
  for (const k of keys) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) changes.push(k);
  return changes;
}
