/**
 * The one CloudTrail record fixture of the tests: a management event of an IAM user, shaped as
 * CloudTrail writes it (fields in CloudTrail's order), for scenarios, LookupEvents and the pipeline.
 * The defaults are a Bedrock InvokeModel from a script; a test names only what it is about.
 */

export interface TrailRecordSpec {
  account: string;
  userName: string;
  region: string;
  /** The event's time (written without milliseconds, as CloudTrail does). */
  time: Date;
  /** `eventID`; `requestID` defaults to `req-<id>`. */
  id: string;
  requestId?: string;
  /** @default 'InvokeModel' */
  eventName?: string;
  /** @default 'bedrock.amazonaws.com' */
  eventSource?: string;
  principalId?: string;
  accessKeyId?: string;
  /** @default '203.0.113.7' */
  sourceIp?: string;
  /** @default 'python-requests/2.32.5' */
  userAgent?: string;
  /** @default an Anthropic model id */
  requestParameters?: Record<string, unknown>;
  /** Signed with a Bedrock API key: `additionalEventData.callWithBearerToken`. */
  bearer?: boolean;
  /** @default true */
  readOnly?: boolean;
}

export const MODEL_ID = 'anthropic.claude-sonnet-4-5-20250929-v1:0';

/** CloudTrail's time format: ISO 8601 to the second. */
export function trailTime(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A CloudTrail record; `extra` replaces or adds top-level fields. */
export function trailRecord(
  spec: TrailRecordSpec,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    eventVersion: '1.11',
    userIdentity: {
      type: 'IAMUser',
      ...(spec.principalId ? { principalId: spec.principalId } : {}),
      arn: `arn:aws:iam::${spec.account}:user/${spec.userName}`,
      accountId: spec.account,
      ...(spec.accessKeyId ? { accessKeyId: spec.accessKeyId } : {}),
      userName: spec.userName,
    },
    eventTime: trailTime(spec.time),
    eventSource: spec.eventSource ?? 'bedrock.amazonaws.com',
    eventName: spec.eventName ?? 'InvokeModel',
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIp ?? '203.0.113.7',
    userAgent: spec.userAgent ?? 'python-requests/2.32.5',
    requestParameters: spec.requestParameters ?? { modelId: MODEL_ID },
    responseElements: null,
    ...(spec.bearer ? { additionalEventData: { callWithBearerToken: true } } : {}),
    requestID: spec.requestId ?? `req-${spec.id}`,
    eventID: spec.id,
    readOnly: spec.readOnly ?? true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: spec.account,
    eventCategory: 'Management',
    ...extra,
  };
}

/**
 * The bedrock-mantle data-event selector as the Bedrock user guide ("Monitor bedrock-mantle API calls
 * using CloudTrail") gives it: written out here, not taken from src/, so the tests judge the code.
 */
export function mantleSelector(Name = 'bedrock-mantle') {
  return {
    Name,
    FieldSelectors: [
      { Field: 'eventCategory', Equals: ['Data'] },
      {
        Field: 'resources.type',
        Equals: [
          'AWS::BedrockMantle::Project',
          'AWS::BedrockMantle::CustomizedModel',
          'AWS::BedrockMantle::Reservation',
        ],
      },
    ],
  };
}
