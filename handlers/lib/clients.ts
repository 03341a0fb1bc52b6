/**
 * AWS SDK v3 clients for the pipeline's own (home-account) calls: Step Functions, DynamoDB, SNS,
 * EventBridge, Secrets Manager. Constructed once per container; region and endpoint come from the Lambda
 * environment (`AWS_REGION`, and `AWS_ENDPOINT_URL` in local runs against bks-sim).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

const cache = new Map<string, unknown>();

/**
 * One client per function and name. On Lambda a container runs one function; local runs execute
 * every function in one process, each with its own role's credentials (`AWS_LAMBDA_FUNCTION_NAME`).
 */
function once<T>(name: string, make: () => T): T {
  const key = `${process.env['AWS_LAMBDA_FUNCTION_NAME'] ?? ''}|${name}`;
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

export const sfn = () => once('sfn', () => new SFNClient({ maxAttempts: 5 }));
export const dynamo = () => once('dynamo', () => new DynamoDBClient({ maxAttempts: 5 }));
export const sns = () => once('sns', () => new SNSClient({ maxAttempts: 5 }));
export const events = () => once('events', () => new EventBridgeClient({ maxAttempts: 5 }));
export const secrets = () => once('secrets', () => new SecretsManagerClient({ maxAttempts: 5 }));

/** Drops cached clients (tests change the endpoint between runs). */
export function resetClients(): void {
  cache.clear();
}
