/**
 * Reads everything IAM holds about one user — the state revoke plans from, cleanup backs up and
 * compares right before deleting, and restore checks before undoing. Every list is paged to the
 * end; any error other than "no such user" propagates (a partial read is never taken for the
 * whole: fail closed). No secret is read: IAM list calls return metadata only.
 */
import {
  GetUserCommand,
  type GetUserCommandOutput,
  GetUserPolicyCommand,
  type IAMClient,
  paginateListAccessKeys,
  paginateListAttachedUserPolicies,
  paginateListGroupsForUser,
  paginateListMFADevices,
  paginateListSigningCertificates,
  paginateListSSHPublicKeys,
  paginateListUserPolicies,
  paginateListUserTags,
} from '@aws-sdk/client-iam';
import { hasLoginProfile, paginateListServiceSpecificCredentials } from '../aws/iam-reads';

export interface CredentialState {
  id: string;
  serviceName: string;
  alias?: string;
  serviceUserName?: string;
  status: string;
  createdAt?: string;
  expiresAt?: string;
}

export interface UserState {
  userName: string;
  userId: string;
  arn: string;
  path: string;
  createdAt?: string;
  permissionsBoundary?: string;
  tags: { Key: string; Value: string }[];
  credentials: CredentialState[];
  accessKeys: { id: string; status: string; createdAt?: string }[];
  attachedPolicies: { arn: string; name: string }[];
  /** Inline policies with their documents as canonical JSON text. */
  inlinePolicies: { name: string; document: string }[];
  groups: string[];
  loginProfile: boolean;
  mfaDevices: string[];
  sshPublicKeys: { id: string; status: string }[];
  signingCertificates: { id: string; status: string }[];
}

export function isNoSuchEntity(err: unknown): boolean {
  const e = err as { name?: string; Code?: string };
  return e?.name === 'NoSuchEntityException' || e?.name === 'NoSuchEntity' || e?.Code === 'NoSuchEntity';
}

/** IAM returns policy documents URL-encoded; this gives canonical JSON text (stable for comparison). */
export function canonicalPolicy(document: string): string {
  let text = document;
  try {
    text = decodeURIComponent(document);
  } catch {
    // already decoded
  }
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

/** Every item of a paged list, to the last page (an SDK v3 `paginate*` iterator). */
async function all<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(items(page) ?? []));
  return out;
}

const iso = (d: Date | undefined) => (d ? new Date(d).toISOString() : undefined);

/** The user's API keys (service-specific credentials), every page. */
async function listCredentials(iam: IAMClient, UserName: string): Promise<CredentialState[]> {
  const out: CredentialState[] = [];
  for await (const r of paginateListServiceSpecificCredentials(iam, { UserName })) {
    for (const c of r.ServiceSpecificCredentials ?? []) {
      out.push({
        id: c.ServiceSpecificCredentialId ?? '',
        serviceName: c.ServiceName ?? '',
        alias: c.ServiceCredentialAlias,
        serviceUserName: c.ServiceUserName,
        status: c.Status ?? 'UNKNOWN',
        createdAt: iso(c.CreateDate),
        expiresAt: iso(c.ExpirationDate),
      });
    }
  }
  return out;
}

/** Inline policies with their documents (one GetUserPolicy each). */
async function readInlinePolicies(
  iam: IAMClient,
  UserName: string,
): Promise<{ name: string; document: string }[]> {
  const names = await all(paginateListUserPolicies({ client: iam }, { UserName }), (r) => r.PolicyNames);
  return Promise.all(
    names.map(async (name) => {
      const r = await iam.send(new GetUserPolicyCommand({ UserName, PolicyName: name }));
      return { name, document: canonicalPolicy(r.PolicyDocument ?? '') };
    }),
  );
}

/** The full IAM state of a user, or `null` when the user does not exist. */
export async function readUserState(iam: IAMClient, userName: string): Promise<UserState | null> {
  let got: GetUserCommandOutput;
  try {
    got = await iam.send(new GetUserCommand({ UserName: userName }));
  } catch (err) {
    if (isNoSuchEntity(err)) return null;
    throw err;
  }
  const u = got.User;
  if (!u?.UserId || !u.Arn) throw new Error(`GetUser ${userName}: answer without UserId/Arn`);
  const paging = { client: iam };
  const user = { UserName: userName };
  const [credentials, accessKeys, attached, inlinePolicies, groups, mfa, ssh, certs, tags, loginProfile] =
    await Promise.all([
      listCredentials(iam, userName),
      all(paginateListAccessKeys(paging, user), (r) =>
        r.AccessKeyMetadata?.map((k) => ({
          id: k.AccessKeyId ?? '',
          status: k.Status ?? 'UNKNOWN',
          createdAt: iso(k.CreateDate),
        })),
      ),
      all(paginateListAttachedUserPolicies(paging, user), (r) =>
        r.AttachedPolicies?.map((p) => ({ arn: p.PolicyArn ?? '', name: p.PolicyName ?? '' })),
      ),
      readInlinePolicies(iam, userName),
      all(paginateListGroupsForUser(paging, user), (r) => r.Groups?.map((g) => g.GroupName ?? '')),
      all(paginateListMFADevices(paging, user), (r) => r.MFADevices?.map((d) => d.SerialNumber ?? '')),
      all(paginateListSSHPublicKeys(paging, user), (r) =>
        r.SSHPublicKeys?.map((k) => ({ id: k.SSHPublicKeyId ?? '', status: k.Status ?? 'UNKNOWN' })),
      ),
      all(paginateListSigningCertificates(paging, user), (r) =>
        r.Certificates?.map((c) => ({ id: c.CertificateId ?? '', status: c.Status ?? 'UNKNOWN' })),
      ),
      all(paginateListUserTags(paging, user), (r) =>
        r.Tags?.map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })),
      ),
      hasLoginProfile(iam, userName),
    ]);
  return {
    userName: u.UserName ?? userName,
    userId: u.UserId,
    arn: u.Arn,
    path: u.Path ?? '/',
    createdAt: iso(u.CreateDate),
    permissionsBoundary: u.PermissionsBoundary?.PermissionsBoundaryArn,
    tags,
    credentials,
    accessKeys,
    attachedPolicies: attached,
    inlinePolicies,
    groups,
    loginProfile,
    mfaDevices: mfa,
    sshPublicKeys: ssh,
    signingCertificates: certs,
  };
}
