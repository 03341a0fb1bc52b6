/**
 * The approval endpoint (Lambda function URL): the approval page, signed in through the
 * organization's OpenID Connect provider (src/pipeline/approval-http.ts). Configuration, as the
 * `Approval` construct sets it: `BKS_OIDC_ISSUER`, `BKS_OIDC_CLIENT_ID`, `BKS_APPROVER_GROUPS`
 * (comma-separated), `BKS_OIDC_GROUPS_CLAIM` (default `groups`) and `BKS_OIDC_CLIENT_SECRET_ARN`
 * (the client secret, read from Secrets Manager once per container); `BKS_COUNTER_TABLE` (the
 * incident records: the page lists every signal of the incident). The task token never leaves
 * DynamoDB; the link's id and signature, the cookies and the code are never logged.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import type { OidcSettings } from '../src/pipeline/approval-auth';
import { handleApprovalHttp, page } from '../src/pipeline/approval-http';
import { withIncidentSignals } from '../src/pipeline/approval-signals';
import { DynamoIncidentTable } from '../src/pipeline/dispatch';
import { approvalStore, resume } from './lib/approvals';
import { dynamo, secrets } from './lib/clients';
import { begin, env, logger } from './lib/runtime';

let settings: Promise<OidcSettings> | undefined;

/** The identity provider's settings; a failed read is retried on the next request. */
function oidcSettings(): Promise<OidcSettings> {
  settings ??= (async () => {
    const out = await secrets().send(
      new GetSecretValueCommand({ SecretId: env('BKS_OIDC_CLIENT_SECRET_ARN') }),
    );
    if (!out.SecretString) throw new Error('the OIDC client secret is empty');
    return {
      issuer: env('BKS_OIDC_ISSUER'),
      clientId: env('BKS_OIDC_CLIENT_ID'),
      clientSecret: out.SecretString,
      allowedGroups: env('BKS_APPROVER_GROUPS')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean),
      groupsClaim: process.env['BKS_OIDC_GROUPS_CLAIM'] || 'groups',
    };
  })();
  settings.catch(() => {
    settings = undefined;
  });
  return settings;
}

/** Forgets the cached settings (local runs change them between pipelines). */
export function resetApprovalSettings(): void {
  settings = undefined;
}

export async function handler(event: LambdaFunctionURLEvent): Promise<APIGatewayProxyResultV2> {
  begin('approval-api', event.requestContext?.requestId);
  const body = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  const method = event.requestContext?.http?.method ?? 'GET';
  // The function URL itself, or (bks-sim --pipeline) the path the endpoint is served under.
  const approvalUrl = process.env['BKS_APPROVAL_URL'] || `https://${event.requestContext?.domainName}/`;
  const basePath = new URL(approvalUrl).pathname.replace(/\/$/, '');
  const rawPath = event.rawPath ?? '/';
  // The incident's signals, read when the page renders (BKS_COUNTER_TABLE: the incident records).
  const counterTable = process.env['BKS_COUNTER_TABLE'];
  let res: Awaited<ReturnType<typeof handleApprovalHttp>>;
  try {
    res = await handleApprovalHttp(
      {
        method,
        path: rawPath.startsWith(basePath) ? rawPath.slice(basePath.length) || '/' : rawPath,
        query: event.queryStringParameters ?? {},
        body,
        contentType: event.headers?.['content-type'] ?? '',
        cookies: event.cookies ?? [],
        ...(event.requestContext?.http?.sourceIp ? { sourceIp: event.requestContext.http.sourceIp } : {}),
      },
      {
        store: approvalStore(),
        resume,
        now: () => new Date(),
        oidc: oidcSettings,
        approvalUrl,
        ...(counterTable
          ? { withSignals: (r) => withIncidentSignals(r, new DynamoIncidentTable(dynamo(), counterTable)) }
          : {}),
      },
    );
  } catch (err) {
    // Fail closed, and say so: nothing is decided without a verified identity.
    logger.error('approval page failed', { error: (err as Error).name, message: (err as Error).message });
    res = page(
      503,
      'Approval page unavailable',
      '<p>The identity provider or the approval store could not be reached; nothing was recorded. Try again, or decide in Security Hub.</p>',
    );
  }
  logger.info('approval request served', { method, path: rawPath, status: res.statusCode });
  return res;
}
