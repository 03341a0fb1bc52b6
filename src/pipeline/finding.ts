/**
 * The pipeline's Security Hub finding: built with `src/findings`, one per incident — its `Id` is
 * derived from the account and the incident's subject (the IAM user a long-term key or access key
 * acts as, or a short-term key's signing key; `incidentSubject`), never from the rule, so a
 * redelivered event, a second rule or a GuardDuty finding about the same key upsert ONE finding.
 * Imported with BatchImportFindings (only `FailedFindings` are errors), escalated and closed with
 * BatchUpdateFindings (severity, workflow status and note). No secret is ever part of an
 * incident, so none can reach a finding.
 */
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { isPartition, type Partition } from '../aws/partition';
import {
  type AsffFinding,
  buildFinding,
  type FindingResource,
  findingId,
  productArn,
} from '../findings/asff';
import type { Severity } from '../findings/severity';
import { type EnrichmentSummary, type FindingUpdate, findingContent } from './finding-content';
import type { Incident } from './incident';

export interface FindingRef {
  id: string;
  productArn: string;
  region: string;
  title: string;
}

export class FindingImportError extends Error {
  override name = 'FindingImportFailed';
}

export function findingType(ruleId: string): string {
  return `pipeline-${ruleId.toLowerCase()}`;
}

export function targetResource(incident: Incident): FindingResource {
  const t = incident.target;
  const userArn = (u: string) => `arn:${incident.partition}:iam::${incident.account}:user/${u}`;
  switch (t.kind) {
    case 'service-credential':
      return t.credentialId
        ? { type: 'Other', id: `${userArn(t.userName)}/service-specific-credential/${t.credentialId}` }
        : { type: 'AwsIamUser', id: userArn(t.userName) };
    case 'access-key':
      return {
        type: 'AwsIamAccessKey',
        id: t.accessKeyId,
        details: { AwsIamAccessKey: { PrincipalName: t.userName } },
      };
    case 'short-term':
      return { type: 'Other', id: `${t.signerArn}#${t.accessKeyId}` };
    case 'user':
      return { type: 'AwsIamUser', id: userArn(t.userName) };
  }
}

/**
 * What one incident is about: the IAM user a long-term key (a bearer call names only the user it
 * acts as), an access key or a user event concerns (`arn:…:iam::<account>:user/<name>`), or the
 * signing access key of short-term keys (`signing-key/<access key id>`). Every signal about the
 * same subject in the same account joins one incident and one finding.
 */
export function incidentSubject(incident: Incident): string {
  const t = incident.target;
  if (t.kind === 'short-term') return `signing-key/${t.accessKeyId}`;
  return `arn:${incident.partition}:iam::${incident.account}:user/${t.userName}`;
}

/** The incident's finding `Id`: the same for every rule that fires on the same subject. */
export function incidentFindingId(incident: Incident): string {
  return findingId(incident.account, incidentSubject(incident), 'pipeline-incident');
}

/** Where the incident's finding lives (Security Hub in `region`, the pipeline's home region). */
export function incidentFindingRef(incident: Incident, region: string): Omit<FindingRef, 'title'> {
  const partition: Partition = isPartition(incident.partition) ? incident.partition : 'aws';
  return {
    id: incidentFindingId(incident),
    productArn: productArn(partition, region, incident.account),
    region,
  };
}

/** The finding for an incident, in the home region of the security account's Security Hub. */
export function incidentFinding(
  incident: Incident,
  enrichment: EnrichmentSummary | undefined,
  region: string,
  now: Date = new Date(),
): AsffFinding {
  const content = findingContent(incident, enrichment);
  const partition: Partition = isPartition(incident.partition) ? incident.partition : 'aws';
  return buildFinding({
    account: incident.account,
    region,
    partition,
    resource: { ...targetResource(incident), region: incident.region },
    type: findingType(incident.ruleId),
    id: incidentFindingId(incident),
    types: content.types,
    severity: incident.severity,
    title: content.title,
    description: content.description,
    remediation: { text: content.remediation },
    generatorId: `bks/pipeline/${incident.ruleId}`,
    createdAt: incident.eventTime,
    updatedAt: now.toISOString(),
    productFields: content.productFields,
  });
}

export async function importFinding(client: SecurityHubClient, finding: AsffFinding): Promise<FindingRef> {
  const out = await client.send(new BatchImportFindingsCommand({ Findings: [finding as never] }));
  const failed = out.FailedFindings ?? [];
  if (failed.length > 0 || (out.FailedCount ?? 0) > 0) {
    const f = failed[0];
    throw new FindingImportError(
      `BatchImportFindings refused ${finding.Id}: ${f?.ErrorCode ?? 'unknown'} ${f?.ErrorMessage ?? ''}`.trim(),
    );
  }
  return { id: finding.Id, productArn: finding.ProductArn, region: finding.Region, title: finding.Title };
}

export async function updateFinding(
  client: SecurityHubClient,
  ref: FindingRef,
  update: FindingUpdate,
): Promise<void> {
  const out = await client.send(
    new BatchUpdateFindingsCommand({
      FindingIdentifiers: [{ Id: ref.id, ProductArn: ref.productArn }],
      Workflow: { Status: update.workflowStatus },
      Note: { Text: update.note, UpdatedBy: 'bks-pipeline' },
    }),
  );
  const un = out.UnprocessedFindings ?? [];
  if (un.length > 0) {
    throw new FindingImportError(
      `BatchUpdateFindings refused ${ref.id}: ${un[0]?.ErrorCode ?? 'unknown'} ${un[0]?.ErrorMessage ?? ''}`.trim(),
    );
  }
}

/**
 * A later, more severe signal while the incident's workflow still runs: the finding's severity is
 * raised and the note says by what (BatchUpdateFindings; `UnprocessedFindings` are errors, e.g.
 * `FindingNotFound` before the workflow imported it).
 */
export async function escalateFinding(
  client: SecurityHubClient,
  ref: Omit<FindingRef, 'title'>,
  severity: Severity,
  note: string,
): Promise<void> {
  const out = await client.send(
    new BatchUpdateFindingsCommand({
      FindingIdentifiers: [{ Id: ref.id, ProductArn: ref.productArn }],
      Severity: { Label: severity },
      Note: { Text: note.slice(0, 512), UpdatedBy: 'bks-pipeline' },
    }),
  );
  const un = out.UnprocessedFindings ?? [];
  if (un.length > 0) {
    throw new FindingImportError(
      `BatchUpdateFindings refused ${ref.id}: ${un[0]?.ErrorCode ?? 'unknown'} ${un[0]?.ErrorMessage ?? ''}`.trim(),
    );
  }
}
