/**
 * The pipeline's Security Hub finding: built with `src/findings` (deterministic `Id` from the
 * account, the key or user at stake and the rule, so a redelivered event or a second event on the
 * same key upserts one finding), imported with BatchImportFindings (only `FailedFindings` are
 * errors), then closed with BatchUpdateFindings (workflow status and note). No secret is ever
 * part of an incident, so none can reach a finding.
 */
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { isPartition, type Partition } from '../aws/partition';
import { type AsffFinding, buildFinding, type FindingResource } from '../findings/asff';
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
