/**
 * What every part of the pipeline reports to: the SOC topic (KMS-encrypted) and encrypted SQS
 * queues that hold what could not be delivered.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** A new KMS-encrypted SOC topic that EventBridge may publish to. */
export function socTopic(scope: Construct, id = 'Notifications', topicName?: string): sns.Topic {
  const key = new kms.Key(scope, `${id}Key`, {
    enableKeyRotation: true,
    description: 'bks SOC notification topic',
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // EventBridge delivers alarm notifications to the encrypted topic; CloudWatch alarm actions too.
  key.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
  key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
  return new sns.Topic(scope, id, {
    ...(topicName ? { topicName } : {}),
    displayName: 'bks: Bedrock API key incidents',
    masterKey: key,
    enforceSSL: true,
  });
}

/** An encrypted, TLS-only queue kept 14 days for what could not be delivered or processed. */
export function holdingQueue(scope: Construct, id: string, why: string, queueName?: string): sqs.Queue {
  const q = new sqs.Queue(scope, id, {
    ...(queueName ? { queueName } : {}),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(q).acknowledge({ id: 'AwsSolutions-SQS3', reason: why });
  return q;
}
