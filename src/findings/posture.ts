/**
 * The posture rules: the one table that says what is wrong with a scanned user, how severe it is and
 * what fixes it — and what that fix does. `bks scan` (the severity of its findings, the next command
 * it prints) and `bks compliance` (its findings) both read it, so the two cannot disagree about the
 * same user: a user's severity is the highest of its posture findings, INFORMATIONAL when it has none.
 *
 * Severity rationale (ASFF labels):
 * - HIGH: a credential an attacker can use today with broad permissions — a phantom's IAM access key
 *   or console password (persistent, outlives the API key), a live API key on an ordinary user (it
 *   carries every permission of that user), an account nobody could read (anything may be in it).
 * - MEDIUM: a live key that never expires or is older than the policy allows; a user that could not
 *   be fully read (fail closed: not "fine").
 * - LOW: an orphaned phantom (no live credential, but a user with a broad policy left behind).
 */
import { isLiveCredential, neverExpires } from '../inventory/classify';
import type { CredentialInfo, ScanUser } from '../inventory/types';
import { type Severity, severityRank } from './severity';

export type RuleId =
  | 'account-unreadable'
  | 'phantom-persistent-credential'
  | 'key-on-ordinary-user'
  | 'never-expiring-key'
  | 'key-over-max-age'
  | 'user-unknown'
  | 'orphaned-phantom';

export interface RuleFacts {
  accountId: string;
  user?: ScanUser;
  credential?: CredentialInfo;
  ageDays?: number | null;
  maxAgeDays?: number;
  error?: string;
}

export interface PostureRule {
  severity: Severity;
  title: (f: RuleFacts) => string;
  /** The command (or step) that fixes it: the targeted one, never one that breaks more than needed. */
  fix: (f: RuleFacts) => string;
  /** What the fix does and leaves alone, and what the broader command would do instead. */
  effect: (f: RuleFacts) => string;
}

const u = (f: RuleFacts) => f.user as ScanUser;
const c = (f: RuleFacts) => f.credential as CredentialInfo;

/** Active IAM access keys of the user whose ids are known (the credential report gives none). */
function activeAccessKeyIds(user: ScanUser): string[] | undefined {
  const active = user.accessKeys.filter((k) => k.status === 'Active');
  if (active.length === 0 || active.some((k) => !k.id)) return undefined;
  return active.map((k) => k.id as string);
}

/** The phantom's persistent credential can be taken out alone: access keys named, no password. */
function accessKeysOnly(user: ScanUser): string[] | undefined {
  return user.consolePassword ? undefined : activeAccessKeyIds(user);
}

const KEY_ONLY = (f: RuleFacts) =>
  `deactivates only API key ${c(f).id} (bks restore undoes it); ${u(f).userName}'s other keys and permissions keep working. See who uses it: bks timeline ${u(f).userName}`;

/** What `bks revoke-key PHANTOM` (a user name) does to this phantom, from what the scan saw on it. */
function wholeUserRevoke(user: ScanUser): string {
  const parts = ['deactivates every API key of the phantom'];
  if (user.accessKeys.some((k) => k.status === 'Active')) parts.push('its IAM access keys');
  const done = `${parts.join(' and ')} and puts the inline deny bks-revoke-deny on it (bks restore undoes this)`;
  return user.consolePassword ? `${done}; it deletes its console password, which cannot be restored` : done;
}

/** Every posture rule as data: severity, title, the fix and what the fix does. */
export const POSTURE_RULES: Record<RuleId, PostureRule> = {
  'account-unreadable': {
    severity: 'HIGH',
    title: (f) => `Account ${f.accountId} could not be inventoried: ${f.error ?? 'unknown error'}`,
    fix: (f) =>
      `check the org role in ${f.accountId} (trust, iam:List*/Get*), then: bks scan --org --accounts ${f.accountId}`,
    effect: () => 'reads only; until it succeeds nothing is known about the account',
  },
  'phantom-persistent-credential': {
    severity: 'HIGH',
    title: (f) =>
      `Phantom user ${u(f).userName} has a persistent credential (${u(f).reasons[0] ?? 'AT_RISK'})`,
    fix: (f) => {
      const keys = accessKeysOnly(u(f));
      return keys
        ? `bks revoke-key ${u(f).userName} --credential ${keys.join(',')}`
        : `bks revoke-key ${u(f).userName}`;
    },
    effect: (f) =>
      accessKeysOnly(u(f))
        ? `deactivates only the IAM access key (bks restore undoes it); the phantom's API keys keep working. \`bks revoke-key ${u(f).userName}\` instead ${wholeUserRevoke(u(f))}`
        : wholeUserRevoke(u(f)),
  },
  'key-on-ordinary-user': {
    severity: 'HIGH',
    title: (f) =>
      `API key ${c(f).id} on ordinary IAM user ${u(f).userName}: it carries all of the user's permissions`,
    fix: (f) => `bks revoke-key ${u(f).userName} --credential ${c(f).id}`,
    effect: (f) =>
      `${KEY_ONLY(f)}. Not \`bks revoke-key ${u(f).userName} --force\`: that revokes every API key of ${u(f).userName} and denies bedrock:* to all its credentials, breaking its workloads that call Bedrock`,
  },
  'never-expiring-key': {
    severity: 'MEDIUM',
    title: (f) => `API key ${c(f).id} of ${u(f).userName} never expires`,
    fix: (f) => `bks revoke-key ${u(f).userName} --credential ${c(f).id}`,
    effect: (f) =>
      `${KEY_ONLY(f)}; give them a key with an expiry first (bks scp show api-key-max-age enforces one)`,
  },
  'key-over-max-age': {
    severity: 'MEDIUM',
    title: (f) => `API key ${c(f).id} of ${u(f).userName} is ${f.ageDays} days old (over ${f.maxAgeDays})`,
    fix: (f) => `bks revoke-key ${u(f).userName} --credential ${c(f).id}`,
    effect: (f) => `${KEY_ONLY(f)}; give them a new key first`,
  },
  'user-unknown': {
    severity: 'MEDIUM',
    title: (f) => `User ${u(f).userName} could not be fully read (${u(f).reasons[0] ?? 'UNKNOWN'})`,
    fix: (f) => `grant the missing IAM read permissions, then: bks scan --org --accounts ${f.accountId}`,
    effect: () => 'reads only; never delete or revoke a user while it is unknown',
  },
  'orphaned-phantom': {
    severity: 'LOW',
    title: (f) =>
      `Orphaned ${u(f).service} phantom user ${u(f).userName} lingers (no live key, access key or password)`,
    fix: (f) => `bks cleanup --service ${u(f).service}`,
    effect: () =>
      'deletes orphaned phantoms after re-reading each one and backing it up (bks restore recreates it); bks cleanup --dry-run shows every call first',
  },
};

/** One posture finding about a user, before it gets an id and a report time. */
export interface UserRisk {
  rule: RuleId;
  severity: Severity;
  credential?: CredentialInfo;
  ageDays?: number | null;
}

const DAY = 86_400_000;

export function credentialAgeDays(iso: string | null, now: Date): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, Math.floor((now.getTime() - t) / DAY));
}

/** Every posture finding of one scanned user (pure; `now` = the scan's or report's time). */
export function userRisks(user: ScanUser, now: Date, maxAgeDays?: number): UserRisk[] {
  const out: UserRisk[] = [];
  const add = (rule: RuleId, extra: Omit<UserRisk, 'rule' | 'severity'> = {}) =>
    out.push({ rule, severity: POSTURE_RULES[rule].severity, ...extra });
  if (user.status === 'AT_RISK') add('phantom-persistent-credential');
  if (user.status === 'UNKNOWN') add('user-unknown');
  if (user.status === 'ORPHANED' && user.phantom) add('orphaned-phantom');
  for (const cred of user.credentials) {
    if (!isLiveCredential(cred, now)) continue;
    const facts = { credential: cred, ageDays: credentialAgeDays(cred.createdAt, now) };
    if (!user.phantom) add('key-on-ordinary-user', facts);
    if (neverExpires(cred, now)) add('never-expiring-key', facts);
    if (maxAgeDays !== undefined && facts.ageDays !== null && facts.ageDays > maxAgeDays)
      add('key-over-max-age', facts);
  }
  return out;
}

/** The user's severity: its most severe posture finding, INFORMATIONAL when it has none. */
export function userSeverity(user: ScanUser, now: Date, maxAgeDays?: number): Severity {
  return mostSevere(userRisks(user, now, maxAgeDays)) ?? 'INFORMATIONAL';
}

function mostSevere(risks: readonly UserRisk[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const r of risks) if (!worst || severityRank(r.severity) > severityRank(worst)) worst = r.severity;
  return worst;
}

/**
 * The fix of the user's most severe finding, with what it does (what `scan` prints under a user).
 * Several keys under the same most severe rule get one command naming them all.
 */
export function userFix(
  user: ScanUser,
  accountId: string,
  now: Date,
  maxAgeDays?: number,
): { rule: RuleId; fix: string; effect: string } | undefined {
  const risks = userRisks(user, now, maxAgeDays);
  const worst = mostSevere(risks);
  const top = risks.find((r) => r.severity === worst);
  if (!top) return undefined;
  const facts: RuleFacts = { accountId, user, maxAgeDays, credential: top.credential, ageDays: top.ageDays };
  const rule = POSTURE_RULES[top.rule];
  const ids = risks.filter((r) => r.rule === top.rule && r.credential).map((r) => r.credential?.id);
  if (top.credential && ids.length > 1) {
    const all = ids.join(',');
    const one = top.credential.id;
    return {
      rule: top.rule,
      fix: rule.fix(facts).replace(one, all),
      effect: rule.effect(facts).replace(`only API key ${one}`, `only API keys ${all}`),
    };
  }
  return { rule: top.rule, fix: rule.fix(facts), effect: rule.effect(facts) };
}
