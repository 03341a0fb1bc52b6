/**
 * AWS Security Finding Format (ASFF) findings, ready for Security Hub `BatchImportFindings`.
 * A finding is built from plain facts ({account, region, partition, resource, type, severity,
 * title, description, remediation}); its `Id` is derived from account + resource + type, so
 * re-importing the same fact upserts the same finding (Security Hub keys on Id + ProductArn).
 * Nothing secret may be passed in: findings carry ids, names and metadata only.
 *
 * Required fields (reference §6): SchemaVersion, Id, ProductArn, GeneratorId, AwsAccountId, Types,
 * CreatedAt, UpdatedAt, Severity.Label, Title, Description, Resources.
 */
import { createHash } from 'node:crypto';
import type { Partition } from '../aws/partition';
import type { Severity } from './severity';

/** ASFF `Severity.Label`: the toolkit's one severity scale. */
export type SeverityLabel = Severity;

export const ASFF_SCHEMA_VERSION = '2018-10-08';

/** Types taxonomy used by bks findings (namespace/category/classifier). */
export const FINDING_TYPE_PREFIX = 'Software and Configuration Checks/AWS Security Best Practices';

export interface FindingResource {
  /** ASFF resource type (`AwsIamUser`, `AwsIamAccessKey`, `Other`, …). */
  type: string;
  /** ARN or other unique id. */
  id: string;
  region?: string;
  details?: Record<string, unknown>;
  tags?: Record<string, string>;
}

export interface FindingInput {
  account: string;
  region: string;
  partition: Partition;
  resource: FindingResource;
  /** Short stable name of what is found (`scan-user-bedrock`, `key-leak`, …): part of the Id. */
  type: string;
  /**
   * The finding's `Id` when it is not one per resource and type (the pipeline's: one per incident,
   * whichever rules fired). @default findingId(account, resource.id, type)
   */
  id?: string;
  /** ASFF `Types`; default `[FINDING_TYPE_PREFIX]`. */
  types?: string[];
  severity: SeverityLabel;
  title: string;
  description: string;
  remediation: { text: string; url?: string };
  /** Producer of the finding (default `bks/<type>`). */
  generatorId?: string;
  /** ISO times; default now. */
  createdAt?: string;
  updatedAt?: string;
  productFields?: Record<string, string>;
}

export interface AsffFinding {
  SchemaVersion: string;
  Id: string;
  ProductArn: string;
  ProductName: string;
  CompanyName: string;
  GeneratorId: string;
  AwsAccountId: string;
  Region: string;
  Types: string[];
  CreatedAt: string;
  UpdatedAt: string;
  Severity: { Label: SeverityLabel; Original: string };
  Title: string;
  Description: string;
  Remediation: { Recommendation: { Text: string; Url?: string } };
  ProductFields: Record<string, string>;
  Resources: {
    Type: string;
    Id: string;
    Partition: Partition;
    Region: string;
    Details?: Record<string, unknown>;
    Tags?: Record<string, string>;
  }[];
  RecordState: 'ACTIVE' | 'ARCHIVED';
}

/** `arn:<partition>:securityhub:<region>:<account>:product/<account>/default` */
export function productArn(partition: Partition, region: string, account: string): string {
  return `arn:${partition}:securityhub:${region}:${account}:product/${account}/default`;
}

/** A stable finding id: `bks/<type>/<account>/<sha256(resource id) prefix>`. */
export function findingId(account: string, resourceId: string, type: string): string {
  const digest = createHash('sha256').update(`${account}\n${resourceId}\n${type}`).digest('hex').slice(0, 32);
  return `bks/${type}/${account}/${digest}`;
}

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

export function buildFinding(input: FindingInput): AsffFinding {
  const now = new Date().toISOString();
  const createdAt = input.createdAt ?? now;
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: input.id ?? findingId(input.account, input.resource.id, input.type),
    ProductArn: productArn(input.partition, input.region, input.account),
    ProductName: 'bks',
    CompanyName: 'bks',
    GeneratorId: input.generatorId ?? `bks/${input.type}`,
    AwsAccountId: input.account,
    Region: input.region,
    Types: input.types ?? [FINDING_TYPE_PREFIX],
    CreatedAt: createdAt,
    UpdatedAt: input.updatedAt ?? createdAt,
    Severity: { Label: input.severity, Original: input.severity },
    Title: clip(input.title, 256),
    Description: clip(input.description, 1024),
    Remediation: {
      Recommendation: {
        Text: clip(input.remediation.text, 512),
        ...(input.remediation.url ? { Url: input.remediation.url } : {}),
      },
    },
    ProductFields: { 'bks/type': input.type, ...input.productFields },
    Resources: [
      {
        Type: input.resource.type,
        Id: input.resource.id,
        Partition: input.partition,
        Region: input.resource.region ?? input.region,
        ...(input.resource.details ? { Details: input.resource.details } : {}),
        ...(input.resource.tags && Object.keys(input.resource.tags).length
          ? { Tags: input.resource.tags }
          : {}),
      },
    ],
    RecordState: 'ACTIVE',
  };
}

/** The required fields missing from a finding (empty when it is importable). */
export function missingRequiredFields(f: Partial<AsffFinding>): string[] {
  const required = [
    'SchemaVersion',
    'Id',
    'ProductArn',
    'GeneratorId',
    'AwsAccountId',
    'Types',
    'CreatedAt',
    'UpdatedAt',
    'Severity',
    'Title',
    'Description',
    'Resources',
  ] as const;
  const missing: string[] = required.filter((k) => {
    const v = f[k];
    return v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
  });
  if (f.Severity && !f.Severity.Label) missing.push('Severity.Label');
  return missing;
}

/** Splits findings into `BatchImportFindings` batches (≤ 100 findings each). */
export function batchFindings<T>(findings: readonly T[], size = 100): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < findings.length; i += size) out.push(findings.slice(i, i + size));
  return out;
}
