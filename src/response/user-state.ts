/**
 * Reads everything IAM holds about one user — the state revoke plans from, cleanup backs up and
 * compares right before deleting, and restore checks before undoing. Every list is paged to the
 * end; any error other than "no such user" propagates (a partial read is never taken for the
 * whole: fail closed). No secret is read: IAM list calls return metadata only.
 */
import {
  GetLoginProfileCommand,
  GetUserCommand,
  type GetUserCommandOutput,
  GetUserPolicyCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';

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

async function pages<T>(
  fetch: (marker?: string) => Promise<{ items: T[]; marker?: string; truncated?: boolean }>,
): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await fetch(marker);
    all.push(...page.items);
    if (!page.truncated || !page.marker) return all;
    marker = page.marker;
  }
}

const iso = (d: Date | undefined) => (d ? new Date(d).toISOString() : undefined);

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
  const UserName = userName;
  const [credentials, accessKeys, attached, inlineNames, groups, mfa, ssh, certs, tags, loginProfile] =
    await Promise.all([
      pages(async (Marker) => {
        const r = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName, Marker }));
        return {
          items: (r.ServiceSpecificCredentials ?? []).map(
            (c): CredentialState => ({
              id: c.ServiceSpecificCredentialId ?? '',
              serviceName: c.ServiceName ?? '',
              alias: c.ServiceCredentialAlias,
              serviceUserName: c.ServiceUserName,
              status: c.Status ?? 'UNKNOWN',
              createdAt: iso(c.CreateDate),
              expiresAt: iso(c.ExpirationDate),
            }),
          ),
          marker: r.Marker,
          truncated: r.IsTruncated,
        };
      }),
      pages(async (Marker) => {
        const r = await iam.send(new ListAccessKeysCommand({ UserName, Marker }));
        return {
          items: (r.AccessKeyMetadata ?? []).map((k) => ({
            id: k.AccessKeyId ?? '',
            status: k.Status ?? 'UNKNOWN',
            createdAt: iso(k.CreateDate),
          })),
          marker: r.Marker,
          truncated: r.IsTruncated,
        };
      }),
      pages(async (Marker) => {
        const r = await iam.send(new ListAttachedUserPoliciesCommand({ UserName, Marker }));
        return {
          items: (r.AttachedPolicies ?? []).map((p) => ({
            arn: p.PolicyArn ?? '',
            name: p.PolicyName ?? '',
          })),
          marker: r.Marker,
          truncated: r.IsTruncated,
        };
      }),
      pages(async (Marker) => {
        const r = await iam.send(new ListUserPoliciesCommand({ UserName, Marker }));
        return { items: r.PolicyNames ?? [], marker: r.Marker, truncated: r.IsTruncated };
      }),
      pages(async (Marker) => {
        const r = await iam.send(new ListGroupsForUserCommand({ UserName, Marker }));
        return {
          items: (r.Groups ?? []).map((g) => g.GroupName ?? ''),
          marker: r.Marker,
          truncated: r.IsTruncated,
        };
      }),
      pages(async (Marker) => {
        const r = await iam.send(new ListMFADevicesCommand({ UserName, Marker }));
        return {
          items: (r.MFADevices ?? []).map((d) => d.SerialNumber ?? ''),
          marker: r.Marker,
          truncated: r.IsTruncated,
        };
      }),
      pages(async (Marker) => {
        const r = await iam.send(new ListSSHPublicKeysCommand({ UserName, Marker }));
        return {
          items: (r.SSHPublicKeys ?? []).map((k) => ({
            id: k.SSHPublicKeyId ?? '',
            status: k.Status ?? 'UNKNOWN',
          })),
          marker: r.Marker,
          truncated: r.IsTruncated,
        };
      }),
      pages(async (Marker) => {
        const r = await iam.send(new ListSigningCertificatesCommand({ UserName, Marker }));
        return {
          items: (r.Certificates ?? []).map((c) => ({
            id: c.CertificateId ?? '',
            status: c.Status ?? 'UNKNOWN',
          })),
          marker: r.Marker,
          truncated: r.IsTruncated,
        };
      }),
      pages(async (Marker) => {
        const r = await iam.send(new ListUserTagsCommand({ UserName, Marker }));
        return {
          items: (r.Tags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })),
          marker: r.Marker,
          truncated: r.IsTruncated,
        };
      }),
      iam.send(new GetLoginProfileCommand({ UserName })).then(
        () => true,
        (err) => {
          if (isNoSuchEntity(err)) return false;
          throw err;
        },
      ),
    ]);
  const inlinePolicies = await Promise.all(
    inlineNames.map(async (name) => {
      const r = await iam.send(new GetUserPolicyCommand({ UserName, PolicyName: name }));
      return { name, document: canonicalPolicy(r.PolicyDocument ?? '') };
    }),
  );
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
