/**
 * The approval endpoint (Lambda function URL): GET shows a pending request, POST decides. The link
 * is the credential: HMAC-signed, expiring and single use; the task token never leaves DynamoDB.
 */
import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { handleApprovalHttp } from '../src/pipeline/approval';
import { approvalStore, resume } from './lib/approvals';
import { begin, logger } from './lib/runtime';

export async function handler(event: LambdaFunctionURLEvent): Promise<APIGatewayProxyResultV2> {
  begin('approval-api', event.requestContext?.requestId);
  const body = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  const query = event.queryStringParameters ?? {};
  const res = await handleApprovalHttp(
    {
      method: event.requestContext?.http?.method ?? 'GET',
      query,
      body,
      contentType: event.headers?.['content-type'] ?? '',
      sourceIp: event.requestContext?.http?.sourceIp,
    },
    { store: approvalStore(), resume, now: () => new Date() },
  );
  // The link's id and signature are never logged.
  logger.info('approval request served', {
    method: event.requestContext?.http?.method,
    status: res.statusCode,
  });
  return res;
}
