/** Findings for the users `bks scan` reports: one per (account, user, service), severity from status. */
import type { Partition } from '../aws/partition';
import type { ScanUser, UserStatus } from '../inventory/types';
import { serviceById } from '../services';
import { type AsffFinding, buildFinding, type SeverityLabel } from './asff';

export function scanSeverity(user: Pick<ScanUser, 'status' | 'phantom' | 'reasons'>): SeverityLabel {
  const bySignal = (strong: SeverityLabel, weak: SeverityLabel) =>
    user.reasons.some((r) => /never expires|days old|ordinary IAM user/.test(r)) ? strong : weak;
  const table: Record<UserStatus, SeverityLabel> = {
    AT_RISK: 'HIGH',
    UNKNOWN: 'MEDIUM',
    ACTIVE: user.phantom ? bySignal('MEDIUM', 'LOW') : 'MEDIUM',
    ORPHANED: user.phantom ? 'LOW' : 'INFORMATIONAL',
  };
  return table[user.status];
}

export function scanRemediation(user: ScanUser): string {
  switch (user.status) {
    case 'AT_RISK':
      return `Contain now: \`bks revoke-key ${user.userName}\` deactivates the phantom's IAM access keys; then review what they did with \`bks timeline ${user.userName}\` and delete the user with \`bks cleanup\` once it is orphaned.`;
    case 'UNKNOWN':
      return 'Part of this user could not be read. Allow the scanner iam:GetAccountAuthorizationDetails, iam:ListServiceSpecificCredentials, iam:GenerateCredentialReport and iam:GetCredentialReport (or retry when not throttled) and scan again. Never delete it while unknown.';
    case 'ACTIVE':
      return user.phantom
        ? `Confirm the key is still needed and expires (at most your --max-age-days); otherwise \`bks revoke-key ${user.userName}\`.`
        : `An API key on an ordinary user carries all of its permissions: move the workload to a dedicated phantom with ${serviceById(user.service).managedPolicyName}, or revoke with \`bks revoke-key ${user.userName} --force\`.`;
    case 'ORPHANED':
      return user.phantom
        ? `Delete the orphaned phantom user: \`bks cleanup --service ${user.service}\` (re-reads it first, backs it up).`
        : 'Delete the inactive or expired credentials of this ordinary user (DeleteServiceSpecificCredential).';
  }
}

export function scanUserFinding(
  user: ScanUser,
  where: { account: string; region: string; partition: Partition; generatedAt: string },
): AsffFinding {
  const service = serviceById(user.service);
  const title =
    user.status === 'AT_RISK'
      ? `${service.displayName} phantom user ${user.userName} has a persistent credential`
      : user.status === 'UNKNOWN'
        ? `${service.displayName} key user ${user.userName} could not be fully read`
        : user.status === 'ORPHANED'
          ? `Orphaned ${service.displayName} ${user.phantom ? 'phantom user' : 'credentials on'} ${user.userName}`
          : `${service.displayName} API key on ${user.phantom ? 'phantom user' : 'ordinary IAM user'} ${user.userName}`;
  return buildFinding({
    account: where.account,
    region: where.region,
    partition: where.partition,
    type: `scan-user-${user.service}`,
    generatorId: 'bks/scan',
    severity: scanSeverity(user),
    title,
    description: `Status ${user.status}. ${user.reasons.join('. ')}.`,
    remediation: { text: scanRemediation(user) },
    createdAt: where.generatedAt,
    resource: {
      type: 'AwsIamUser',
      id: user.arn,
      region: where.region,
      details: { AwsIamUser: { UserName: user.userName, GroupList: user.groups } },
    },
    productFields: {
      'bks/status': user.status,
      'bks/service': user.service,
      'bks/phantom': String(user.phantom),
      'bks/evidence': user.evidence.join(','),
      'bks/credentials': user.credentials.map((c) => `${c.id}:${c.status}`).join(','),
    },
  });
}
