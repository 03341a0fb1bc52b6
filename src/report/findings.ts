/**
 * Posture findings in Security Hub. `BatchImportFindings` with the default product must be called
 * in the finding's `AwsAccountId`, so the scheduled report imports every posture finding into the
 * account it runs in (the security tooling account); the affected member account is in the
 * finding's Id, its resource ARN and `ProductFields['bks/affectedAccount']`.
 *
 * - Upsert: the deterministic Id (+ ProductArn) makes re-imports update the same finding.
 * - Fixed since the last run: re-imported with `RecordState: ARCHIVED` — a field the provider owns.
 *   `Workflow` belongs to the customer (BatchUpdateFindings) and is left alone.
 * - Unverified findings (their account failed this run) are neither re-imported nor archived.
 * - Batches of ≤ 100; only `FailedFindings` are retried.
 */
import { BatchImportFindingsCommand } from '@aws-sdk/client-securityhub';
import type { AwsContext } from '../aws';
import type { Partition } from '../aws/partition';
import { type AsffFinding, batchFindings, buildFinding, FINDING_TYPE_PREFIX } from '../findings/asff';
import type { ComplianceReport, PostureFinding, ResolvedFinding } from './compliance';

export interface PostureFindingTarget {
  /** The account the findings are imported into (the caller's). */
  account: string;
  region: string;
  partition: Partition;
}

function resourceOf(f: Pick<PostureFinding, 'resource' | 'accountId' | 'userName'>, region: string) {
  if (f.resource.startsWith('arn:')) {
    return {
      type: 'AwsIamUser',
      id: f.resource,
      region,
      ...(f.userName ? { details: { AwsIamUser: { UserName: f.userName } } } : {}),
    };
  }
  return { type: 'AwsAccount', id: `AWS::::Account:${f.accountId}`, region };
}

export function postureAsff(
  f: PostureFinding | ResolvedFinding,
  where: PostureFindingTarget,
  updatedAt: string,
  state: 'ACTIVE' | 'ARCHIVED',
  fix?: string,
): AsffFinding {
  const built = buildFinding({
    account: where.account,
    region: where.region,
    partition: where.partition,
    type: `compliance-${f.rule}`,
    types: [`${FINDING_TYPE_PREFIX}/Bedrock API keys`],
    generatorId: `bks/compliance/${f.rule}`,
    severity: f.severity,
    title: f.title,
    description: `${f.title}. Affected account ${f.accountId}. First seen ${f.firstSeen}.${state === 'ARCHIVED' ? ' Resolved: no longer observed by the compliance report.' : ''}`,
    remediation: { text: fix ? `Fix: ${fix}` : 'Resolved.' },
    createdAt: f.firstSeen,
    updatedAt,
    resource: resourceOf(f, where.region),
    productFields: { 'bks/rule': f.rule, 'bks/affectedAccount': f.accountId },
  });
  return { ...built, Id: f.id, RecordState: state };
}

/** The findings a report upserts (ACTIVE) and archives (fixed since the previous report). */
export function postureFindingsToSync(
  report: ComplianceReport,
  where: PostureFindingTarget,
): { active: AsffFinding[]; archived: AsffFinding[] } {
  return {
    active: report.findings
      .filter((f) => f.verified)
      .map((f) => postureAsff(f, where, report.generatedAt, 'ACTIVE', f.fix)),
    archived: (report.trend?.resolved ?? []).map((f) =>
      postureAsff(f, where, report.generatedAt, 'ARCHIVED'),
    ),
  };
}

export interface SyncResult {
  imported: number;
  archived: number;
  failed: { id: string; code: string; message: string }[];
  calls: number;
}

/** Imports the report's findings into Security Hub; retries failed findings up to `retries` times. */
export async function syncPostureFindings(
  aws: AwsContext,
  report: ComplianceReport,
  where: PostureFindingTarget,
  retries = 2,
): Promise<SyncResult> {
  const { active, archived } = postureFindingsToSync(report, where);
  const client = aws.securityhub(where.region);
  const result: SyncResult = { imported: 0, archived: 0, failed: [], calls: 0 };
  const archivedIds = new Set(archived.map((f) => f.Id));
  let pending = [...active, ...archived];
  for (let attempt = 0; attempt <= retries && pending.length > 0; attempt++) {
    const byId = new Map(pending.map((f) => [f.Id, f]));
    const failed: AsffFinding[] = [];
    result.failed = [];
    for (const batch of batchFindings(pending)) {
      result.calls++;
      const out = await client.send(new BatchImportFindingsCommand({ Findings: batch as never }));
      const bad = new Set<string>();
      for (const ff of out.FailedFindings ?? []) {
        if (!ff.Id) continue;
        bad.add(ff.Id);
        result.failed.push({ id: ff.Id, code: ff.ErrorCode ?? 'Failed', message: ff.ErrorMessage ?? '' });
        const f = byId.get(ff.Id);
        if (f) failed.push(f);
      }
      for (const f of batch) {
        if (bad.has(f.Id)) continue;
        if (archivedIds.has(f.Id)) result.archived++;
        else result.imported++;
      }
    }
    pending = failed;
  }
  return result;
}
