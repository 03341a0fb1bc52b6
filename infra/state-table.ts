/**
 * A DynamoDB table of the pipeline's state (approvals, stateful-rule counters): items keyed by the
 * string `pk` and expired by DynamoDB TTL on `ttl` — the layout the stores of src/pipeline read and
 * write — billed on demand, encrypted, with point-in-time recovery.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

export function stateTable(scope: Construct, id: string, tableName: string): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    tableName,
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: 'ttl',
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
