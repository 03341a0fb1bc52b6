/**
 * What the three compliance handlers share: the Powertools logger, the AWS context of the
 * function (its execution role; `AWS_ENDPOINT_URL` for bks-sim), the S3 store and the settings the
 * construct passes as environment variables. No domain logic: that is `src/report/workflow.ts`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { type AwsContext, createAws } from '../src/aws';
import { type ReportStore, s3Store } from '../src/report/workflow';
import { SERVICES, type ServiceId } from '../src/services';

export const logger = new Logger({ serviceName: 'bks-compliance' });

export interface ComplianceSettings {
  bucket: string;
  orgRole: string;
  externalId?: string;
  services: ServiceId[] | 'all';
  maxAgeDays?: number;
  topicArn?: string;
  linkTtlSeconds?: number;
  securityHub: boolean;
  include?: string[];
  skip?: string[];
}

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
const int = (name: string, v: string | undefined) => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number (got "${v}")`);
  return n;
};

/** Settings from the environment; a missing or malformed one fails the invocation by name. */
export function settings(env: NodeJS.ProcessEnv = process.env): ComplianceSettings {
  const bucket = env.REPORT_BUCKET;
  if (!bucket) throw new Error('REPORT_BUCKET is not set');
  const svc = env.SERVICES ?? 'all';
  const known = SERVICES.map((s) => s.id) as string[];
  const services = svc === 'all' ? 'all' : (list(svc) ?? []);
  if (services !== 'all')
    for (const s of services) if (!known.includes(s)) throw new Error(`SERVICES: unknown service "${s}"`);
  return {
    bucket,
    orgRole: env.ORG_ROLE || 'OrganizationAccountAccessRole',
    externalId: env.EXTERNAL_ID || undefined,
    services: services as ServiceId[] | 'all',
    maxAgeDays: int('MAX_AGE_DAYS', env.MAX_AGE_DAYS),
    topicArn: env.TOPIC_ARN || undefined,
    linkTtlSeconds: int('LINK_TTL_SECONDS', env.LINK_TTL_SECONDS),
    securityHub: env.SECURITY_HUB !== 'false',
    include: list(env.ACCOUNTS),
    skip: list(env.SKIP_ACCOUNTS),
  };
}

export function runtime(env: NodeJS.ProcessEnv = process.env): {
  aws: AwsContext;
  store: ReportStore;
  cfg: ComplianceSettings;
} {
  const cfg = settings(env);
  const aws = createAws({ region: env.AWS_REGION, endpointUrl: env.AWS_ENDPOINT_URL || undefined, env });
  return { aws, store: s3Store(aws, cfg.bucket), cfg };
}
