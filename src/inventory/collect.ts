/**
 * Reads one account's state in O(pages) calls and classifies every user that matters:
 *   - per scanned service: ListServiceSpecificCredentials(AllUsers=true, ServiceName) (paged)
 *   - GetAccountAuthorizationDetails(Filter=[User]) (paged): policies, groups, boundary, tags
 *   - the credential report (Generate, then Get): access keys, last use, password, MFA
 * `fresh` replaces the report with per-candidate reads (ListAccessKeys, GetAccessKeyLastUsed,
 * GetLoginProfile, ListMFADevices), for incident work where a 4-hour-old report is too old.
 * A refused or failed report falls back to the same per-candidate reads; users missing from the
 * report (created after it) are read that way too, and an AT_RISK verdict resting on the report is
 * confirmed by re-reading that user's access keys and password (`confirmRisk`). Every failed read reaches `classify` as such.
 */
import {
  GetAccessKeyLastUsedCommand,
  type IAMClient,
  ListMFADevicesCommand,
  paginateGetAccountAuthorizationDetails,
  paginateListAccessKeys,
} from '@aws-sdk/client-iam';
import { type AwsContext, describeAwsError, errorCode, iamUserArn, mapLimit } from '../aws';
import { hasLoginProfile, paginateListServiceSpecificCredentials } from '../aws/iam-reads';
import { isManagedPolicyArn, type KeyBearingService } from '../services';
import { classify } from './classify';
import { fetchCredentialReport, type ReportRow } from './credential-report';
import {
  type AccessKeyInfo,
  type AccountScan,
  type CredentialInfo,
  type LoginInfo,
  type Read,
  readFailed,
  readOk,
  type ScanUser,
  STATUS_ORDER,
  type UserDetails,
} from './types';

export interface CollectOptions {
  services: readonly KeyBearingService[];
  /** Per-candidate reads instead of the credential report. */
  fresh?: boolean;
  maxAgeDays?: number;
  /** Clock of the verdicts (default: now). */
  now?: Date;
  /** Page size of the paged reads (default 1000, the maximum). */
  pageSize?: number;
  /** Per-user reads in flight (fresh mode and fallbacks; default 8). */
  concurrency?: number;
  /** Known account id (skips GetCallerIdentity). */
  accountId?: string;
  reportTimeoutMs?: number;
}

const iso = (d: Date | undefined | null): string | null => (d ? d.toISOString() : null);

async function readUsers(iam: IAMClient, pageSize: number): Promise<Map<string, UserDetails>> {
  const users = new Map<string, UserDetails>();
  const input = { Filter: ['User' as const], MaxItems: pageSize };
  for await (const page of paginateGetAccountAuthorizationDetails({ client: iam }, input)) {
    for (const u of page.UserDetailList ?? []) {
      if (!u.UserName) continue;
      users.set(u.UserName, {
        userName: u.UserName,
        arn: u.Arn ?? '',
        path: u.Path ?? '/',
        createdAt: iso(u.CreateDate),
        managedPolicyArns: (u.AttachedManagedPolicies ?? []).map((p) => p.PolicyArn ?? '').filter(Boolean),
        inlinePolicyNames: (u.UserPolicyList ?? []).map((p) => p.PolicyName ?? '').filter(Boolean),
        groups: u.GroupList ?? [],
        permissionsBoundaryArn: u.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
        tags: Object.fromEntries((u.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      });
    }
  }
  return users;
}

interface ListedCredential extends CredentialInfo {
  userName: string;
}

/**
 * Every credential of one service in the account; `null` when the service does not exist in the
 * partition. "Not supported" from a partition where the service table says it exists is a failed
 * read (a wrong endpoint, a proxy, an outage), never an empty list.
 */
async function readCredentials(
  iam: IAMClient,
  service: KeyBearingService,
  pageSize: number,
  partition: string,
): Promise<ListedCredential[] | null> {
  const out: ListedCredential[] = [];
  try {
    const pages = paginateListServiceSpecificCredentials(iam, {
      AllUsers: true,
      ServiceName: service.sscServiceName,
      MaxItems: pageSize,
    });
    for await (const page of pages) {
      for (const c of page.ServiceSpecificCredentials ?? []) {
        if (!c.UserName || !c.ServiceSpecificCredentialId) continue;
        out.push({
          userName: c.UserName,
          id: c.ServiceSpecificCredentialId,
          status: c.Status ?? 'Unknown',
          createdAt: iso(c.CreateDate),
          expiresAt: iso(c.ExpirationDate),
        });
      }
    }
  } catch (err) {
    const unsupported =
      errorCode(err) === 'ServiceNotSupportedException' || errorCode(err) === 'NotSupportedService';
    if (unsupported && !service.partitions.includes(partition)) return null;
    throw err;
  }
  return out;
}

interface FreshState {
  accessKeys: Read<AccessKeyInfo[]>;
  login: Read<LoginInfo>;
}

/** Access keys with last use, login profile and MFA of one user (fresh reads). */
async function readUserFresh(iam: IAMClient, userName: string): Promise<FreshState> {
  let accessKeys: Read<AccessKeyInfo[]>;
  try {
    const keys: AccessKeyInfo[] = [];
    for await (const page of paginateListAccessKeys({ client: iam }, { UserName: userName })) {
      for (const k of page.AccessKeyMetadata ?? []) {
        const used = k.AccessKeyId
          ? await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId }))
          : undefined;
        keys.push({
          id: k.AccessKeyId,
          status: k.Status === 'Active' ? 'Active' : 'Inactive',
          createdAt: iso(k.CreateDate),
          lastUsedAt: iso(used?.AccessKeyLastUsed?.LastUsedDate),
        });
      }
    }
    accessKeys = readOk(keys);
  } catch (err) {
    accessKeys = readFailed(describeAwsError(err));
  }
  let login: Read<LoginInfo>;
  try {
    const passwordEnabled = await hasLoginProfile(iam, userName);
    const mfa = await iam.send(new ListMFADevicesCommand({ UserName: userName }));
    login = readOk({ passwordEnabled, mfaActive: (mfa.MFADevices ?? []).length > 0 });
  } catch (err) {
    login = readFailed(describeAwsError(err));
  }
  return { accessKeys, login };
}

/**
 * The report can be up to 4 hours old, and a revoke-key minutes ago is not in it: what makes an
 * AT_RISK verdict (an access key's status, the console password) is read again for that user
 * (ListAccessKeys, GetLoginProfile: 2 calls per at-risk user, none for the others), which also
 * gives the access keys' ids for a targeted fix. Last use and MFA stay the report's. A failed
 * re-read keeps the report's data (and its `dataAsOf`). Why not every user: docs/commands/scan.md.
 */
async function confirmRisk(iam: IAMClient, userName: string, row: ReportRow): Promise<ReportRow | undefined> {
  try {
    const listed: AccessKeyInfo[] = [];
    for await (const page of paginateListAccessKeys({ client: iam }, { UserName: userName })) {
      for (const k of page.AccessKeyMetadata ?? []) {
        // With its id: the fix can name exactly this key (`revoke-key USER --credential AKIA…`).
        listed.push({
          ...(k.AccessKeyId ? { id: k.AccessKeyId } : {}),
          status: k.Status === 'Active' ? 'Active' : 'Inactive',
          createdAt: iso(k.CreateDate),
        });
      }
    }
    const sameKeys = listed.length === row.accessKeys.length;
    const accessKeys = listed.map((k, i) => ({
      ...k,
      lastUsedAt: sameKeys ? row.accessKeys[i]?.lastUsedAt : undefined,
    }));
    const passwordEnabled = await hasLoginProfile(iam, userName);
    return { ...row, accessKeys, login: { ...row.login, passwordEnabled } };
  } catch {
    return undefined;
  }
}

/** A (user, service) pair to judge, with the credentials of the service the user holds. */
interface Candidate {
  service: KeyBearingService;
  userName: string;
  creds: Read<CredentialInfo[]>;
}

/** Candidates: (user, service) pairs with phantom evidence or a credential of the service. */
function candidatePairs(
  services: readonly KeyBearingService[],
  credsByService: Read<ListedCredential[] | null>[],
  users: Read<Map<string, UserDetails>>,
): Candidate[] {
  const pairs: Candidate[] = [];
  services.forEach((service, i) => {
    const listed = credsByService[i] as Read<ListedCredential[] | null>;
    const byUser = new Map<string, CredentialInfo[]>();
    if (listed.ok) {
      for (const c of listed.value ?? []) {
        const { userName, ...info } = c;
        byUser.set(userName, [...(byUser.get(userName) ?? []), info]);
      }
    }
    const names = new Set<string>(byUser.keys());
    if (users.ok) {
      for (const u of users.value.values()) {
        if (
          u.userName.startsWith(service.phantomUserPrefix) ||
          u.managedPolicyArns.some((a) => isManagedPolicyArn(service, a))
        ) {
          names.add(u.userName);
        }
      }
    }
    // Without the user list the phantoms cannot be enumerated (the account is an error); the
    // users holding keys still are, as UNKNOWN.
    for (const userName of [...names].sort()) {
      pairs.push({
        service,
        userName,
        creds: listed.ok ? readOk(byUser.get(userName) ?? []) : readFailed(listed.error),
      });
    }
  });
  return pairs;
}

function detailsOf(users: Read<Map<string, UserDetails>>, userName: string): Read<UserDetails> {
  if (!users.ok) return readFailed(users.error);
  const details = users.value.get(userName);
  return details
    ? readOk(details)
    : readFailed('not in GetAccountAuthorizationDetails (created or deleted during the scan?)');
}

interface VerdictOptions {
  now: Date;
  maxAgeDays?: number;
}

/** The users whose AT_RISK verdict rests on the report, re-read (`confirmRisk`): their checked rows. */
async function confirmReportRisks(
  iam: IAMClient,
  pairs: readonly Candidate[],
  reportRows: Map<string, ReportRow> | undefined,
  users: Read<Map<string, UserDetails>>,
  opts: VerdictOptions & { concurrency: number },
): Promise<Map<string, ReportRow>> {
  const atRisk = new Set<string>();
  for (const p of pairs) {
    const row = reportRows?.get(p.userName);
    if (!row) continue;
    const verdict = classify(
      {
        service: p.service,
        userName: p.userName,
        details: detailsOf(users, p.userName),
        credentials: p.creds,
        accessKeys: readOk(row.accessKeys),
        login: readOk(row.login),
      },
      opts,
    );
    if (verdict.status === 'AT_RISK') atRisk.add(p.userName);
  }
  const confirmed = new Map<string, ReportRow>();
  await mapLimit([...atRisk], opts.concurrency, async (userName) => {
    const row = reportRows?.get(userName);
    const now = row && (await confirmRisk(iam, userName, row));
    if (now) confirmed.set(userName, now);
  });
  return confirmed;
}

/** One candidate's verdict and what the scan reports of it (from the report's row, else fresh reads). */
function scanUserOf(
  p: Candidate,
  row: ReportRow | undefined,
  fresh: FreshState | undefined,
  opts: VerdictOptions & { details: Read<UserDetails>; arn: string },
): ScanUser {
  const { details } = opts;
  const accessKeys: Read<AccessKeyInfo[]> = row
    ? readOk(row.accessKeys)
    : (fresh?.accessKeys ?? readFailed('not read'));
  const login: Read<LoginInfo> = row ? readOk(row.login) : (fresh?.login ?? readFailed('not read'));
  const verdict = classify(
    { service: p.service, userName: p.userName, details, credentials: p.creds, accessKeys, login },
    { now: opts.now, maxAgeDays: opts.maxAgeDays },
  );
  const d = details.ok ? details.value : undefined;
  return {
    userName: p.userName,
    arn: d?.arn || opts.arn,
    phantom: verdict.phantom,
    service: p.service.id,
    status: verdict.status,
    reasons: verdict.reasons,
    evidence: verdict.evidence,
    credentials: p.creds.ok ? p.creds.value : [],
    accessKeys: accessKeys.ok ? accessKeys.value : [],
    consolePassword: login.ok ? login.value.passwordEnabled : null,
    mfa: login.ok ? login.value.mfaActive : null,
    groups: d?.groups ?? [],
  };
}

/** Scans one account (the context's credentials). Account-level read failures → `status: error`. */
export async function collectAccount(aws: AwsContext, opts: CollectOptions): Promise<AccountScan> {
  const now = opts.now ?? new Date();
  const pageSize = opts.pageSize ?? 1000;
  const iam = aws.iam();
  const accountId = opts.accountId ?? aws.accountId ?? (await aws.identity()).accountId;
  const errors: string[] = [];
  const notes: string[] = [];

  const usersP = readUsers(iam, pageSize).then(readOk, (err: unknown) =>
    readFailed<Map<string, UserDetails>>(describeAwsError(err)),
  );
  const credsP = Promise.all(
    opts.services.map((s) =>
      readCredentials(iam, s, pageSize, aws.partition).then(readOk, (err: unknown) =>
        readFailed<ListedCredential[] | null>(describeAwsError(err)),
      ),
    ),
  );
  const reportP = opts.fresh
    ? Promise.resolve(undefined)
    : fetchCredentialReport(iam, { timeoutMs: opts.reportTimeoutMs }).then(readOk, (err: unknown) =>
        readFailed<Awaited<ReturnType<typeof fetchCredentialReport>>>(describeAwsError(err)),
      );
  const [users, credsByService, report] = await Promise.all([usersP, credsP, reportP]);

  if (!users.ok)
    errors.push(`could not read the account's users (GetAccountAuthorizationDetails): ${users.error}`);
  opts.services.forEach((s, i) => {
    const r = credsByService[i];
    if (r && !r.ok) errors.push(`could not list ${s.displayName} credentials: ${r.error}`);
    if (r?.ok && r.value === null)
      notes.push(`${s.displayName} credentials are not supported in this partition`);
  });

  const pairs = candidatePairs(opts.services, credsByService, users);

  // Access keys and login state: the report, else per-user reads for the users it lacks.
  let reportRows: Map<string, ReportRow> | undefined;
  let dataAsOf: string | undefined;
  if (report?.ok) {
    reportRows = report.value.rows;
    const generated = report.value.generatedAt;
    if (generated && Date.parse(generated) < now.getTime() - 60_000) dataAsOf = generated;
  } else if (report && !report.ok) {
    notes.push(`credential report unavailable (${report.error}); read access keys per user instead`);
  }
  const candidates = [...new Set(pairs.map((p) => p.userName))];
  const freshNeeded = candidates.filter((u) => !reportRows?.has(u));
  const fresh = new Map<string, FreshState>();
  await mapLimit(freshNeeded, opts.concurrency ?? 8, async (userName) => {
    fresh.set(userName, await readUserFresh(iam, userName));
  });

  const confirmed = await confirmReportRisks(iam, pairs, reportRows, users, {
    now,
    maxAgeDays: opts.maxAgeDays,
    concurrency: opts.concurrency ?? 8,
  });

  const out = pairs.map((p) => {
    const checked = confirmed.get(p.userName);
    const row = checked ?? reportRows?.get(p.userName);
    const user = scanUserOf(p, row, fresh.get(p.userName), {
      details: detailsOf(users, p.userName),
      arn: iamUserArn(aws.partition, accountId, p.userName),
      now,
      maxAgeDays: opts.maxAgeDays,
    });
    if (row && !checked && dataAsOf) user.dataAsOf = dataAsOf;
    return user;
  });
  out.sort(
    (a, b) =>
      STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) ||
      a.userName.localeCompare(b.userName) ||
      a.service.localeCompare(b.service),
  );
  const scan: AccountScan = { accountId, status: errors.length ? 'error' : 'ok', users: out };
  if (errors.length) scan.error = errors.join('; ');
  if (notes.length) scan.notes = notes;
  if (dataAsOf) scan.dataAsOf = dataAsOf;
  return scan;
}
