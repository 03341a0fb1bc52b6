/**
 * The verdict on one user for one service, as a pure function of what was read about it.
 *
 * - UNKNOWN: any input could not be read. Never ORPHANED on missing knowledge (fail closed).
 * - AT_RISK: a phantom with an active IAM access key or a console password (a persistent
 *   credential with the managed policy's permissions, independent of the API key).
 * - ACTIVE: an active, unexpired API key of the service.
 * - ORPHANED: none of the above (a phantom left behind; for an ordinary user: only dead keys).
 * `reasons` gives the status's cause first, then every risk signal found.
 */
import { isManagedPolicyArn } from '../services';
import type {
  AccessKeyInfo,
  Classification,
  ClassifyInput,
  ClassifyOptions,
  CredentialInfo,
  Evidence,
  UserStatus,
} from './types';

const DAY = 86_400_000;
/** An expiry this far out is the console's "never" (it writes ~100 years). */
const NEVER_THRESHOLD_DAYS = 36_500 / 4;

function ageDays(iso: string | null | undefined, now: Date): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : Math.floor((now.getTime() - t) / DAY);
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

/** No expiry, or the console's "never" (an expiry decades away). */
export function neverExpires(c: Pick<CredentialInfo, 'expiresAt'>, now: Date): boolean {
  if (c.expiresAt === null) return true;
  const t = Date.parse(c.expiresAt);
  return !Number.isNaN(t) && (t - now.getTime()) / DAY > NEVER_THRESHOLD_DAYS;
}

/** Active and not past its expiry. */
export function isLiveCredential(c: CredentialInfo, now: Date): boolean {
  if (c.status !== 'Active') return false;
  return !(c.expiresAt && Date.parse(c.expiresAt) <= now.getTime());
}

/** The evidence that makes (or corroborates) a phantom of the service. */
export function phantomEvidence(input: ClassifyInput): Evidence[] {
  const evidence: Evidence[] = [];
  if (input.userName.startsWith(input.service.phantomUserPrefix)) evidence.push('name-prefix');
  if (
    input.details.ok &&
    input.details.value.managedPolicyArns.some((a) => isManagedPolicyArn(input.service, a))
  ) {
    evidence.push('managed-policy');
  }
  if (input.credentials.ok && input.credentials.value.length > 0) evidence.push('service-credential');
  return evidence;
}

export function classify(input: ClassifyInput, opts: ClassifyOptions): Classification {
  const service = input.service;
  const now = opts.now;
  const recentUseDays = opts.recentUseDays ?? 90;
  const evidence = phantomEvidence(input);
  const phantom = evidence.includes('name-prefix') || evidence.includes('managed-policy');
  const kind = service.displayName;

  const unread: string[] = [];
  if (!input.details.ok)
    unread.push(`could not read the user's policies and groups (${input.details.error})`);
  if (!input.credentials.ok)
    unread.push(`could not read its ${kind} credentials (${input.credentials.error})`);
  if (!input.accessKeys.ok) unread.push(`could not read its IAM access keys (${input.accessKeys.error})`);
  if (!input.login.ok) unread.push(`could not read its console password and MFA (${input.login.error})`);

  const creds = input.credentials.ok ? input.credentials.value : [];
  const keys: AccessKeyInfo[] = input.accessKeys.ok ? input.accessKeys.value : [];
  const login = input.login.ok ? input.login.value : undefined;
  const live = creds.filter((c) => isLiveCredential(c, now));
  const activeKeys = keys.filter((k) => k.status === 'Active');
  const keyName = (k: AccessKeyInfo, i: number) => k.id ?? `#${i + 1}`;

  const signals: string[] = [];
  for (const c of creds) {
    const expired = c.expiresAt !== null && Date.parse(c.expiresAt) <= now.getTime();
    if (c.status === 'Expired' || (c.status !== 'Inactive' && expired)) {
      signals.push(
        `credential ${c.id} expired${c.expiresAt ? ` on ${day(c.expiresAt)}` : ''} but is still listed (${c.status}): delete it`,
      );
      continue;
    }
    if (c.status !== 'Active') continue;
    if (neverExpires(c, now)) signals.push(`credential ${c.id} never expires`);
    const age = ageDays(c.createdAt, now);
    if (opts.maxAgeDays !== undefined && age !== undefined && age > opts.maxAgeDays) {
      signals.push(
        `credential ${c.id} is ${age} days old (over the maximum key age, ${opts.maxAgeDays} days)`,
      );
    }
  }
  if (!phantom && live.length > 0) {
    signals.push(`${kind} API key on an ordinary IAM user: it carries all of that user's permissions`);
  }
  if (phantom) {
    keys.forEach((k, i) => {
      if (k.status === 'Active') {
        signals.push(
          `active IAM access key ${keyName(k, i)} on a phantom user: a persistent credential with ${service.managedPolicyName}`,
        );
      } else {
        const used = ageDays(k.lastUsedAt, now);
        if (used !== undefined && used <= recentUseDays) {
          signals.push(
            `inactive IAM access key ${keyName(k, i)} was used ${used} days ago (${day(k.lastUsedAt ?? '')})`,
          );
        } else {
          signals.push(`inactive IAM access key ${keyName(k, i)} remains on the phantom user`);
        }
      }
      const age = ageDays(k.createdAt, now);
      if (
        k.status === 'Active' &&
        opts.maxAgeDays !== undefined &&
        age !== undefined &&
        age > opts.maxAgeDays
      ) {
        signals.push(
          `IAM access key ${keyName(k, i)} is ${age} days old (over the maximum key age, ${opts.maxAgeDays} days)`,
        );
      }
    });
    if (login?.passwordEnabled) signals.push('console password on a phantom user');
    if (login?.mfaActive) signals.push('MFA device on a phantom user: someone set it up for console use');
    if (input.details.ok) {
      const d = input.details.value;
      if (d.groups.length > 0) signals.push(`member of groups: ${d.groups.join(', ')}`);
      const extra = d.managedPolicyArns.filter((a) => !isManagedPolicyArn(service, a));
      if (extra.length > 0) signals.push(`extra managed policies: ${extra.join(', ')}`);
      if (d.inlinePolicyNames.length > 0) signals.push(`inline policies: ${d.inlinePolicyNames.join(', ')}`);
      if (!d.permissionsBoundaryArn) signals.push('no permissions boundary');
      if (evidence.includes('name-prefix') && !evidence.includes('managed-policy')) {
        signals.push(
          `named like a console phantom but ${service.managedPolicyName} is not attached: a look-alike or a modified phantom`,
        );
      }
      if (evidence.includes('managed-policy') && !evidence.includes('name-prefix')) {
        signals.push(
          `${service.managedPolicyName} is attached but the name lacks ${service.phantomUserPrefix}: made by hand or by API`,
        );
      }
    }
  }

  let status: UserStatus;
  let cause: string;
  if (unread.length > 0) {
    status = 'UNKNOWN';
    cause = unread.join('; ');
  } else if (phantom && (activeKeys.length > 0 || login?.passwordEnabled)) {
    status = 'AT_RISK';
    cause =
      activeKeys.length > 0
        ? `phantom user with ${activeKeys.length} active IAM access key${activeKeys.length > 1 ? 's' : ''}`
        : 'phantom user with a console password';
  } else if (live.length > 0) {
    status = 'ACTIVE';
    cause = `${live.length} active ${kind} API key${live.length > 1 ? 's' : ''}: ${live.map((c) => c.id).join(', ')}`;
  } else {
    status = 'ORPHANED';
    cause = phantom
      ? `phantom user with no active API key, access key or console password`
      : `only inactive or expired ${kind} credentials (not a phantom: cleanup leaves it alone)`;
  }
  return { status, phantom, evidence, reasons: [cause, ...signals] };
}
