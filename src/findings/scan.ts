/**
 * Findings for the users `bks scan` reports: one per (account, user, service). Severity and fix come
 * from the posture rules (./posture), the same table `bks compliance` reads.
 */
import type { Partition } from '../aws/partition';
import type { ScanUser } from '../inventory/types';
import { serviceById } from '../services';
import { type AsffFinding, buildFinding, type SeverityLabel } from './asff';
import { userFix, userSeverity } from './posture';

/** Where and when the scan ran, and the age limit it applied (`--max-age-days`). */
export interface ScanContext {
  account: string;
  region: string;
  partition: Partition;
  generatedAt: string;
  maxAgeDays?: number;
}

export function scanSeverity(
  user: ScanUser,
  at: Pick<ScanContext, 'generatedAt' | 'maxAgeDays'>,
): SeverityLabel {
  return userSeverity(user, new Date(at.generatedAt), at.maxAgeDays);
}

export function scanRemediation(user: ScanUser, at: ScanContext): string {
  const fix = userFix(user, at.account, new Date(at.generatedAt), at.maxAgeDays);
  if (fix) return `\`${fix.fix}\`: ${fix.effect}.`;
  if (user.status === 'ACTIVE')
    return `Nothing to fix: its API key expires within policy. If it is no longer needed: \`bks revoke-key ${user.userName}\`.`;
  return 'Delete the inactive or expired credentials of this ordinary user (DeleteServiceSpecificCredential); cleanup leaves non-phantom users alone.';
}

export function scanUserFinding(user: ScanUser, where: ScanContext): AsffFinding {
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
    severity: scanSeverity(user, where),
    title,
    description: `Status ${user.status}. ${user.reasons.join('. ')}.`,
    remediation: { text: scanRemediation(user, where) },
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
