/**
 * `OrganizationTrail`: the CloudTrail trail the pipeline cannot see without, for an organization
 * that has none yet. EventBridge receives "AWS API Call via CloudTrail" events only where a trail
 * logs them, and data events only through a trail whose advanced event selectors name their
 * resource types (CloudTrail requires `resources.type` in every data-event selector). Deployed in
 * the organization's management account (or CloudTrail's delegated administrator): a multi-region
 * organization trail logging
 * - every management event, read and write (the key's InvokeModel, ListFoundationModels probes and
 *   bedrock-mantle's management operations are read-only management events);
 * - the Bedrock data events of `BEDROCK_DATA_RESOURCE_TYPES` (agents, knowledge bases, flows,
 *   guardrails, prompts, and inference logged as data events), one selector per resource type;
 * - bedrock-mantle's inference and file data events, with the one selector the Bedrock user guide
 *   gives for them (`MANTLE_DATA_RESOURCE_TYPES`, src/pipeline/data-events.ts).
 * Logs go to a new bucket (KMS-encrypted with a rotated key, versioned, TLS only, never public,
 * its own access logs in a second bucket).
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  BEDROCK_DATA_RESOURCE_TYPES,
  type DataResourceType,
  MANTLE_DATA_RESOURCE_TYPES,
} from '../src/pipeline/data-events';

/** The trail's advanced event selectors: all management events, then the data events detection needs. */
export function trailSelectors(): cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] {
  const data = (name: string, types: readonly DataResourceType[]) => ({
    name,
    fieldSelectors: [
      { field: 'eventCategory', equalTo: ['Data'] },
      { field: 'resources.type', equalTo: types.map((t) => t.type) },
    ],
  });
  return [
    {
      name: 'Management events (read and write)',
      fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }],
    },
    ...BEDROCK_DATA_RESOURCE_TYPES.map((t) => data(`Data events of ${t.type}`, [t])),
    data('Log Bedrock Mantle inference and file events', MANTLE_DATA_RESOURCE_TYPES),
  ];
}

export interface OrganizationTrailProps {
  /** The organization (`o-…`): the log bucket accepts its accounts' log files. */
  readonly organizationId: string;
  /** Name of the trail (fixed: the bucket and key policies name it). */
  readonly trailName: string;
}

export class OrganizationTrail extends Construct {
  readonly trail: cloudtrail.Trail;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: OrganizationTrailProps) {
    super(scope, id);
    if (!/^o-[a-z0-9]{10,32}$/.test(props.organizationId))
      throw new Error('OrganizationTrail: organizationId must be the organization id (o-…)');
    // S3 server access logging granted by a bucket policy (not the legacy LogDeliveryWrite ACL),
    // whatever the app's feature flags: set before any child exists.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const key = new kms.Key(this, 'Key', {
      enableKeyRotation: true,
      description: 'bks organization trail',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stack = Stack.of(this);
    const trailArn = stack.formatArn({
      service: 'cloudtrail',
      resource: 'trail',
      resourceName: props.trailName,
    });
    // CloudTrail encrypts the organization's log files with the key (CloudTrail user guide, "Configure
    // AWS KMS key policies for CloudTrail"): scoped to this trail by its encryption context.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailEncryptsThisTrail',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:*:trail/${props.trailName}`,
          },
          StringEquals: { 'aws:SourceArn': trailArn },
        },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailDescribesTheKey',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
      }),
    );
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // Owner enforced: S3 server access logging is then granted by bucket policy, not an ACL.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the server access logs of the trail bucket; logging it again would loop.',
    });
    this.bucket = new s3.Bucket(this, 'Logs', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'trail-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      trailName: props.trailName,
      bucket: this.bucket,
      encryptionKey: key,
      isOrganizationTrail: true,
      orgId: props.organizationId,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
      sendToCloudWatchLogs: false,
    });
    const cfn = this.trail.node.defaultChild as cloudtrail.CfnTrail;
    // Advanced selectors only: a trail takes either basic or advanced event selectors.
    cfn.eventSelectors = undefined;
    cfn.advancedEventSelectors = trailSelectors();
  }
}
