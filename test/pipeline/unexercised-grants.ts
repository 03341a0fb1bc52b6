/**
 * The grants of the synthesized `BedrockKeyGuard` that test/pipeline/deployed-functions.test.ts
 * does not exercise, per role, with the reason each is granted (docs/pipeline.md shows the same
 * table, and the test compares the two).
 */

const LOGS = 'each function writes its own log group (CloudWatch Logs is not simulated)';
const ON_FAILURE =
  'the on-failure destination: Lambda (not the function) sends failed asynchronous invocations there';
const ON_FAILURE_CDK = 'the on-failure destination (CDK grants it with sqs:SendMessage)';
const TOPIC_KMS = 'the notification topic is KMS-encrypted (the simulated SNS does not call KMS)';
const ENGINE =
  "the state machine's own calls: the local engine invokes the handlers in-process and makes its SNS/SQS integrations with the pipeline's credentials, not as this role";
const READER_RECONCILE = 'scheduled reconciliation (not part of these runs)';
const ENRICH_NONE = 'enrichment reads it per item of the user; the test user has none';

/**
 * Per role of the synthesized `BedrockKeyGuard` (its logical id in the template): every granted
 * action these runs do not exercise as that role, and why it is granted. docs/pipeline.md shows
 * the same table; the last test fails when a grant is neither exercised nor listed here, when a
 * listed one is exercised or no longer granted, and when the docs differ.
 */
export const UNEXERCISED_BY_ROLE: Record<string, Record<string, string>> = {
  GuardApprovalapprovalapiroleBAC7678A: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'secretsmanager:DescribeSecret': "CDK's grantRead on the client secret grants it with GetSecretValue",
    'dynamodb:PutItem': 'granted with the table; the endpoint only reads and claims requests',
    'states:SendTaskFailure': 'a rejection through the approval page',
  },
  GuardApprovalrequestapprovalrole49EEA048: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'kms:Decrypt': TOPIC_KMS,
    'kms:GenerateDataKey*': TOPIC_KMS,
    'dynamodb:UpdateItem': "a retried request moves its new task token onto the incident's pending approval",
    'states:SendTaskSuccess': 'a duplicate run of an incident that already has a request ends its own task',
  },
  GuardApprovalcustomactionrole124F0F7D: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': ON_FAILURE,
    'sqs:GetQueueAttributes': ON_FAILURE_CDK,
    'sqs:GetQueueUrl': ON_FAILURE_CDK,
    'dynamodb:GetItem': 'the Security Hub custom action (not part of these runs)',
    'dynamodb:PutItem': 'the Security Hub custom action (not part of these runs)',
    'dynamodb:UpdateItem': 'the Security Hub custom action (not part of these runs)',
    'states:SendTaskSuccess': 'the Security Hub custom action (not part of these runs)',
    'states:SendTaskFailure': 'the Security Hub custom action (not part of these runs)',
  },
  GuardResponsenormalizeroleEFCA51A0: { 'logs:CreateLogStream': LOGS, 'logs:PutLogEvents': LOGS },
  GuardResponsedecideroleC284804B: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'dynamodb:GetItem': 'reads the `canary#<runId>` record for a canary-named user only (bks selftest)',
  },
  GuardResponseenrichroleC69938E9: { 'logs:CreateLogStream': LOGS, 'logs:PutLogEvents': LOGS },
  GuardResponsefindingrole6954F3CF: { 'logs:CreateLogStream': LOGS, 'logs:PutLogEvents': LOGS },
  GuardResponserevokeroleC3CCAD40: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'kms:GenerateDataKey':
      'the revoke records are written KMS-encrypted to S3 (the simulated S3 does not call KMS)',
  },
  GuardResponsemanualactionrole5A0DB5AE: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sts:AssumeRole':
      'marks the finding through the findings role when the close step did not (here CloseFinding had marked it)',
    'dynamodb:UpdateItem':
      'records the manual action on the approval request an analyst decided on the page, when the run stopped before its closing step (not in these runs: test/local/manual-action.test.ts)',
  },
  GuardResponseRole5780D297: {
    'logs:CreateLogDelivery': 'the state machine logs to CloudWatch Logs (not simulated)',
    'logs:GetLogDelivery': 'the state machine logs to CloudWatch Logs (not simulated)',
    'logs:UpdateLogDelivery': 'the state machine logs to CloudWatch Logs (not simulated)',
    'logs:DeleteLogDelivery': 'the state machine logs to CloudWatch Logs (not simulated)',
    'logs:ListLogDeliveries': 'the state machine logs to CloudWatch Logs (not simulated)',
    'logs:PutResourcePolicy': 'the state machine logs to CloudWatch Logs (not simulated)',
    'logs:DescribeResourcePolicies': 'the state machine logs to CloudWatch Logs (not simulated)',
    'logs:DescribeLogGroups': 'the state machine logs to CloudWatch Logs (not simulated)',
    'xray:PutTraceSegments': 'X-Ray tracing of the workflow (not simulated)',
    'xray:PutTelemetryRecords': 'X-Ray tracing of the workflow (not simulated)',
    'xray:GetSamplingRules': 'X-Ray tracing of the workflow (not simulated)',
    'xray:GetSamplingTargets': 'X-Ray tracing of the workflow (not simulated)',
    'lambda:InvokeFunction': ENGINE,
    'sqs:SendMessage': ENGINE,
    'sqs:GetQueueAttributes': ENGINE,
    'sqs:GetQueueUrl': ENGINE,
    'sns:Publish': ENGINE,
    'kms:Decrypt': TOPIC_KMS,
    'kms:GenerateDataKey*': TOPIC_KMS,
  },
  GuardDetectiondispatchrole4D7A7F7C: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': ON_FAILURE,
    'sqs:GetQueueAttributes': ON_FAILURE_CDK,
    'sqs:GetQueueUrl': ON_FAILURE_CDK,
    'states:StartExecution': 'dispatch starts the workflow (these runs start it directly)',
    'dynamodb:PutItem': 'dispatch: opens the incident, records each signal (not part of these runs)',
    'dynamodb:GetItem': 'dispatch: reads the open incident a signal joins (test/local/incident.test.ts)',
    'dynamodb:UpdateItem': 'dispatch: counts a signal, escalates, hands over (test/local/incident.test.ts)',
    'dynamodb:DeleteItem': 'dispatch: gives up an incident whose workflow could not start',
    'states:DescribeExecution':
      "dispatch: is the incident's workflow still running (test/local/incident.test.ts)",
    'sts:AssumeRole':
      'dispatch: the findings role, to raise an escalated finding (test/local/incident.test.ts)',
    'sns:Publish': 'dispatch: the escalation notice (test/local/incident.test.ts)',
    'kms:Decrypt': TOPIC_KMS,
    'kms:GenerateDataKey*': TOPIC_KMS,
  },
  GuardDetectionstatefulrole51D85E27: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': ON_FAILURE,
    'sqs:GetQueueAttributes': ON_FAILURE_CDK,
    'sqs:GetQueueUrl': ON_FAILURE_CDK,
    'dynamodb:UpdateItem': 'stateful: the window counters (not part of these runs)',
    'dynamodb:BatchGetItem': 'stateful: reading the window counters (not part of these runs)',
    'dynamodb:PutItem': 'stateful: the window counters (not part of these runs)',
    'events:PutEvents':
      'stateful: threshold events on the central bus (test/pipeline/central-bus-policy.test.ts)',
  },
  GuardDetectionForwarderForwardRole2CC0CF83: {
    'events:PutEvents':
      'the forwarder rule delivers to the central bus (test/pipeline/read-only-events.test.ts)',
  },
  GuardReconciliationreconcileroleD61BB11C: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': ON_FAILURE,
    'sqs:GetQueueAttributes': ON_FAILURE_CDK,
    'sqs:GetQueueUrl': ON_FAILURE_CDK,
    'sts:AssumeRole': READER_RECONCILE,
    'states:StartExecution': READER_RECONCILE,
  },
  GuardRespondersReader36046C94: {
    'iam:GetUserPolicy': ENRICH_NONE,
    'iam:GetAccessKeyLastUsed': ENRICH_NONE,
    'iam:GetAccountAuthorizationDetails': READER_RECONCILE,
    'iam:ListUsers': `${READER_RECONCILE}: the fallback when GetAccountAuthorizationDetails is denied`,
    'iam:GenerateCredentialReport': READER_RECONCILE,
    'iam:GetCredentialReport': READER_RECONCILE,
  },
  GuardRespondersRevoker7787A9AC: {
    'iam:GetUserPolicy': ENRICH_NONE,
    'iam:GetAccessKeyLastUsed': ENRICH_NONE,
    'iam:ListRolePolicies':
      "granted with the signing-role set for short-term keys; the revoke reads its own deny by name, only `bks restore`'s role reader lists a role's policies",
    'iam:UpdateAccessKey': 'revoking an IAM access key added to a phantom user (the escalation path)',
    'iam:PutUserPolicy': 'the deny-all policy when a key cannot be deactivated',
    'iam:DeleteLoginProfile': "removing a phantom user's console password (phantom-named users only)",
  },
  GuardRespondersFindings60DB97DC: {
    'securityhub:GetFindings': 'the Security Hub custom action and reconciliation read the finding back',
  },
};
