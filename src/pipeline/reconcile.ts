/**
 * Reconciliation: EventBridge delivery of CloudTrail events is best effort, so an hourly run takes
 * the inventory (`src/inventory`) and raises, as workflow inputs, the live keys created within the
 * look-back window. Each input is named after the key (`BKS-RECONCILE` + account + credential id),
 * so a key is raised once however many runs see it.
 */

import type { Partition } from '../aws/partition';
import type { AccountScan } from '../inventory/types';
import { SERVICES } from '../services';
import type { PipelineInput, Severity } from './incident';
import { IAM_REGION } from './rules';

export const RECONCILE_RULE_ID = 'BKS-RECONCILE';

export interface ReconcileOptions {
  now: Date;
  /** Keys created earlier than this are not "missed events" but old keys (`bks scan` reports them). */
  lookbackSeconds: number;
  partition: Partition;
}

function severityOf(status: string): Severity {
  return status === 'AT_RISK' ? 'HIGH' : 'MEDIUM';
}

export function reconcileInputs(scan: AccountScan, opts: ReconcileOptions): PipelineInput[] {
  if (scan.status !== 'ok') return [];
  const since = opts.now.getTime() - opts.lookbackSeconds * 1000;
  const region = IAM_REGION[opts.partition] ?? 'us-east-1';
  const out: PipelineInput[] = [];
  for (const user of scan.users) {
    const service = SERVICES.find((s) => s.id === user.service);
    for (const cred of user.credentials) {
      if (cred.status !== 'Active' || !cred.createdAt) continue;
      const created = Date.parse(cred.createdAt);
      if (Number.isNaN(created) || created < since) continue;
      const eventId = `reconcile-${scan.accountId}-${cred.id}`;
      const detail = {
        eventID: eventId,
        eventName: 'CreateServiceSpecificCredential',
        eventSource: 'iam.amazonaws.com',
        eventTime: new Date(created).toISOString(),
        awsRegion: region,
        recipientAccountId: scan.accountId,
        userIdentity: {
          type: 'Unknown',
          arn: 'unknown (creation event not delivered; found by reconciliation)',
        },
        requestParameters: {
          userName: user.userName,
          ...(service ? { serviceName: service.sscServiceName } : {}),
        },
        responseElements: {
          serviceSpecificCredential: {
            serviceSpecificCredentialId: cred.id,
            userName: user.userName,
            ...(service ? { serviceName: service.sscServiceName } : {}),
          },
        },
      };
      out.push({
        ruleId: RECONCILE_RULE_ID,
        severity: severityOf(user.status),
        event: {
          id: eventId,
          source: 'bks.reconcile',
          'detail-type': 'Bedrock Key Reconciliation',
          account: scan.accountId,
          region,
          time: opts.now.toISOString(),
          detail,
        },
      });
    }
  }
  return out;
}
