/**
 * Builds `sim/scenarios/demo.json`, the demo organization (Acme Corp):
 *
 *   npx tsx sim/scenarios/build-demo.ts > sim/scenarios/demo.json
 *
 * Deterministic: the same source gives the same file (a test checks the committed file is current).
 * The story, in the prod account 222222222222: an ML engineer makes a Bedrock API key in the
 * console (phantom user BedrockAPIKey-q7xk); a leaked CI credential (jenkins-legacy) adds an IAM
 * access key to the phantom; the attacker's key runs reconnaissance, opens model access, bursts
 * InvokeModel across us-east-1, us-west-2 and eu-west-1 (and bedrock-mantle), deletes model
 * invocation logging and buys provisioned throughput. Around it, every kind of phantom user and
 * API key a scan must classify, spread over four member accounts.
 */
import { pathToFileURL } from 'node:url';
import { buildRecord, type CloudTrailRecord } from '../cloudtrail';
import { Dice } from '../generate';
import { makeAccessKeyId, type Scenario, type ScenarioAccount, type ScenarioUser } from '../scenario';

const P = 'aws';
const NOW = '2026-11-28T12:00:00Z';
const MGMT = '111111111111';
const PROD = '222222222222';
const DEV = '333333333333';
const DS = '444444444444';
const SANDBOX = '555555555555';
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

const d = new Dice(20261128);
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const akia = (account: string) => makeAccessKeyId('AKIA', account, () => d.u32());
const asia = (account: string) => makeAccessKeyId('ASIA', account, () => d.u32());
const acca = () => `ACCA${d.chars(17, B32)}`;
const aida = () => `AIDA${d.chars(17, B32)}`;
/** Obviously fake secrets (`simEXAMPLE…`), still random enough to tell keys apart. */
const secret = (n = 40) => `simEXAMPLE${d.chars(n, SECRET_ALPHABET)}`;
/** Values added after the first release of the demo draw from their own generator, so every earlier id stays the same. */
const later = new Dice(20261129);
const policy = (name: string) => `arn:${P}:iam::aws:policy/${name}`;
const BEDROCK_LIMITED = policy('AmazonBedrockLimitedAccess');
const ANTHROPIC_LIMITED = policy('AnthropicLimitedAccess');

// ---------------------------------------------------------------------------------------------
// Identities used by the story

const secopsKey = akia(MGMT);
const jenkinsKey = akia(PROD);
const phantomQ7xk = { name: 'BedrockAPIKey-q7xk', id: aida(), sscId: acca(), accessKey: akia(PROD) };
const ds7hq2k = { name: 'AeaApiKey-7hq2k', id: aida(), sscId: acca() };
const danaKim = { name: 'dana.kim', id: aida(), sscId: acca() };

function sso(account: string, roleName: string, person: string, created: string, ssoRole = true) {
  const roleId = `AROA${d.chars(17, B32)}`;
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${person}`,
    arn: `arn:${P}:sts::${account}:assumed-role/${roleName}/${person}`,
    accountId: account,
    accessKeyId: asia(account),
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: roleId,
        arn: `arn:${P}:iam::${account}:role/${ssoRole ? 'aws-reserved/sso.amazonaws.com/' : ''}${roleName}`,
        accountId: account,
        userName: roleName,
      },
      attributes: { creationDate: created, mfaAuthenticated: 'false' },
    },
  };
}

function iamUser(account: string, name: string, id: string, accessKeyId?: string) {
  const u: Record<string, unknown> = {
    type: 'IAMUser',
    principalId: id,
    arn: `arn:${P}:iam::${account}:user/${name}`,
    accountId: account,
  };
  if (accessKeyId) u.accessKeyId = accessKeyId;
  u.userName = name;
  return u;
}

const events: Record<string, CloudTrailRecord[]> = {
  [MGMT]: [],
  [PROD]: [],
  [DEV]: [],
  [DS]: [],
  [SANDBOX]: [],
};

function ev(
  account: string,
  time: string,
  userIdentity: Record<string, unknown>,
  eventSource: string,
  eventName: string,
  region: string,
  ip: string,
  userAgent: string,
  requestParameters: Record<string, unknown> | null,
  extra: {
    responseElements?: Record<string, unknown> | null;
    readOnly?: boolean;
    bearer?: boolean;
    errorCode?: string;
    errorMessage?: string;
    /** A data event on this resource (CloudTrail `resources`): no trail of the demo logs it. */
    data?: { type: string; ARN: string };
  } = {},
): void {
  events[account]!.push(
    buildRecord({
      userIdentity,
      eventSource,
      eventName,
      region,
      requestParameters,
      responseElements: extra.responseElements ?? null,
      readOnly: extra.readOnly ?? false,
      additionalEventData: extra.bearer ? { callWithBearerToken: true } : undefined,
      recipientAccountId: account,
      sourceIp: ip,
      userAgent,
      requestId: d.uuid(),
      eventId: d.uuid(),
      time: new Date(time),
      errorCode: extra.errorCode,
      errorMessage: extra.errorMessage,
      ...(extra.data ? { data: true, resources: [{ accountId: account, ...extra.data }] } : {}),
    }),
  );
}

function at(base: string, plusSeconds: number): string {
  return new Date(Date.parse(base) + plusSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const CONSOLE = 'AWS Internal';
const CLI = 'aws-cli/2.31.0 md/awscrt#0.27.6 ua/2.1 os/linux#6.8 md/arch#x86_64 lang/python#3.13.7';
const BOTO = 'Boto3/1.40.12 md/Botocore#1.40.12 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.3';
const OFFICE_IP = '198.51.100.23';
const ATTACKER_IPS = ['203.0.113.77', '203.0.113.140', '203.0.113.201', '192.0.2.55'];
const ATTACKER_AGENTS = [
  'python-requests/2.32.5',
  'aiohttp/3.10.5',
  'litellm/1.52.3',
  'python-requests/2.32.5',
];
const MODELS = [
  'anthropic.claude-opus-4-1-20250805-v1:0',
  'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'anthropic.claude-3-5-haiku-20241022-v1:0',
];

// ---------------------------------------------------------------------------------------------
// The story in prod

const maria = sso(
  PROD,
  'AWSReservedSSO_MLEngineer_5f2c9a1b7e3d4c60',
  'maria.garcia@acme.example',
  '2026-11-21T09:02:11Z',
);
const t0 = '2026-11-21T09:14:05Z';
ev(
  PROD,
  t0,
  maria,
  'iam.amazonaws.com',
  'CreateUser',
  'us-east-1',
  OFFICE_IP,
  CONSOLE,
  { userName: phantomQ7xk.name },
  {
    responseElements: {
      user: {
        path: '/',
        userName: phantomQ7xk.name,
        userId: phantomQ7xk.id,
        arn: `arn:${P}:iam::${PROD}:user/${phantomQ7xk.name}`,
        createDate: 'Nov 21, 2026, 9:14:05 AM',
      },
    },
  },
);
ev(PROD, at(t0, 1), maria, 'iam.amazonaws.com', 'AttachUserPolicy', 'us-east-1', OFFICE_IP, CONSOLE, {
  userName: phantomQ7xk.name,
  policyArn: BEDROCK_LIMITED,
});
ev(
  PROD,
  at(t0, 1),
  maria,
  'iam.amazonaws.com',
  'CreateServiceSpecificCredential',
  'us-east-1',
  OFFICE_IP,
  CONSOLE,
  { userName: phantomQ7xk.name, serviceName: 'bedrock.amazonaws.com', credentialAgeDays: 30 },
  {
    responseElements: {
      serviceSpecificCredential: {
        createDate: 'Nov 21, 2026, 9:14:06 AM',
        expirationDate: 'Dec 21, 2026, 9:14:06 AM',
        serviceName: 'bedrock.amazonaws.com',
        serviceCredentialAlias: `${phantomQ7xk.name}-at-${PROD}`,
        serviceSpecificCredentialId: phantomQ7xk.sscId,
        userName: phantomQ7xk.name,
        status: 'Active',
      },
    },
  },
);
const q7xkBearer = iamUser(PROD, phantomQ7xk.name, phantomQ7xk.id);
// Two days later the ML team adds a second key to the same user with the CLI (`+1` alias).
const q7xkSecond = { sscId: `ACCA${later.chars(17, B32)}`, createdAt: '2026-11-23T10:05:12Z' };
events[PROD]!.push(
  buildRecord({
    userIdentity: maria,
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateServiceSpecificCredential',
    region: 'us-east-1',
    requestParameters: {
      userName: phantomQ7xk.name,
      serviceName: 'bedrock.amazonaws.com',
      credentialAgeDays: 90,
    },
    responseElements: {
      serviceSpecificCredential: {
        createDate: 'Nov 23, 2026, 10:05:12 AM',
        expirationDate: 'Feb 21, 2027, 10:05:12 AM',
        serviceName: 'bedrock.amazonaws.com',
        serviceCredentialAlias: `${phantomQ7xk.name}+1-at-${PROD}`,
        serviceSpecificCredentialId: q7xkSecond.sscId,
        userName: phantomQ7xk.name,
        status: 'Active',
      },
    },
    readOnly: false,
    recipientAccountId: PROD,
    sourceIp: OFFICE_IP,
    userAgent: CLI,
    requestId: later.uuid(),
    eventId: later.uuid(),
    time: new Date(q7xkSecond.createdAt),
  }),
);
// Legitimate use from the office, two days.
for (let i = 0; i < 8; i++) {
  ev(
    PROD,
    at('2026-11-21T10:02:00Z', i * 9_000 + d.int(600)),
    q7xkBearer,
    'bedrock.amazonaws.com',
    'InvokeModel',
    'us-east-1',
    OFFICE_IP,
    'python-requests/2.32.5',
    { modelId: MODELS[1] },
    { readOnly: true, bearer: true },
  );
}
// The leaked CI credential adds an IAM access key to the phantom: the escalation.
const jenkins = iamUser(PROD, 'jenkins-legacy', aida(), jenkinsKey);
const t1 = '2026-11-24T01:58:40Z';
ev(PROD, t1, jenkins, 'iam.amazonaws.com', 'ListUsers', 'us-east-1', ATTACKER_IPS[0]!, CLI, null, {
  readOnly: true,
});
ev(
  PROD,
  at(t1, 80),
  jenkins,
  'iam.amazonaws.com',
  'CreateAccessKey',
  'us-east-1',
  ATTACKER_IPS[0]!,
  CLI,
  { userName: phantomQ7xk.name },
  {
    responseElements: {
      accessKey: {
        userName: phantomQ7xk.name,
        accessKeyId: phantomQ7xk.accessKey,
        status: 'Active',
        createDate: 'Nov 24, 2026, 2:00:00 AM',
      },
    },
  },
);
// Reconnaissance with the API key.
const recon: [string, Record<string, unknown> | null, boolean][] = [
  ['ListFoundationModels', null, true],
  ['GetFoundationModelAvailability', { modelId: MODELS[0] }, true],
  ['GetFoundationModelAvailability', { modelId: MODELS[1] }, true],
  ['GetUseCaseForModelAccess', null, true],
  ['PutUseCaseForModelAccess', { formData: '***' }, false],
  ['ListFoundationModelAgreementOffers', { modelId: MODELS[0] }, true],
  ['CreateFoundationModelAgreement', { modelId: MODELS[0], offerToken: '***' }, false],
  ['PutFoundationModelEntitlement', { modelId: MODELS[0] }, false],
];
recon.forEach(([name, params, readOnly], i) => {
  ev(
    PROD,
    at('2026-11-24T02:04:10Z', i * 37),
    q7xkBearer,
    'bedrock.amazonaws.com',
    name,
    'us-east-1',
    ATTACKER_IPS[0]!,
    ATTACKER_AGENTS[0]!,
    params,
    { readOnly, bearer: true },
  );
});
// InvokeModel bursts in three regions.
const bursts: [string, string, number][] = [
  ['us-east-1', '2026-11-24T02:13:44Z', 26],
  ['us-west-2', '2026-11-24T02:31:02Z', 24],
  ['eu-west-1', '2026-11-24T02:47:19Z', 22],
  ['us-west-2', '2026-11-25T22:10:00Z', 12],
  ['eu-west-1', '2026-11-27T03:20:00Z', 10],
];
for (const [region, start, n] of bursts) {
  const ip = d.pick(ATTACKER_IPS);
  const agent = d.pick(ATTACKER_AGENTS);
  for (let i = 0; i < n; i++) {
    const name =
      d.int(6) === 0 ? 'Converse' : d.int(8) === 0 ? 'InvokeModelWithResponseStream' : 'InvokeModel';
    ev(
      PROD,
      at(start, i * 11 + d.int(9)),
      q7xkBearer,
      'bedrock.amazonaws.com',
      name,
      region,
      ip,
      agent,
      { modelId: d.pick(MODELS) },
      { readOnly: true, bearer: true },
    );
  }
}
// The OpenAI-compatible plane: flags in requestParameters. ListModels is a management event;
// CreateInference is a data event (Bedrock user guide, "Monitor bedrock-mantle API calls using
// CloudTrail"), which the organization trail (management events only) does not log: these calls
// happened, but neither LookupEvents nor the trail's files nor EventBridge ever show them.
for (let i = 0; i < 6; i++) {
  ev(
    PROD,
    at('2026-11-24T03:05:00Z', i * 23),
    q7xkBearer,
    'bedrock-mantle.amazonaws.com',
    i === 0 ? 'ListModels' : 'CreateInference',
    'eu-west-1',
    ATTACKER_IPS[1]!,
    'OpenAI/Python 2.8.1',
    i === 0
      ? { callWithBearerToken: true, bearerTokenType: 'LONG_TERM' }
      : { callWithBearerToken: true, bearerTokenType: 'LONG_TERM', model: 'openai.gpt-oss-120b' },
    i === 0
      ? { readOnly: true }
      : {
          data: {
            type: 'AWS::BedrockMantle::Project',
            ARN: `arn:${P}:bedrock-mantle:eu-west-1:${PROD}:project/default`,
          },
        },
  );
}
// Logging evasion with the phantom's new IAM access key (SigV4: no bearer flag).
const q7xkSig = iamUser(PROD, phantomQ7xk.name, phantomQ7xk.id, phantomQ7xk.accessKey);
for (const [region, t] of [
  ['us-east-1', '2026-11-24T03:41:55Z'],
  ['us-west-2', '2026-11-24T03:43:10Z'],
] as const) {
  ev(
    PROD,
    t,
    q7xkSig,
    'bedrock.amazonaws.com',
    'GetModelInvocationLoggingConfiguration',
    region,
    ATTACKER_IPS[0]!,
    BOTO,
    null,
    { readOnly: true },
  );
  ev(
    PROD,
    at(t, 4),
    q7xkSig,
    'bedrock.amazonaws.com',
    'DeleteModelInvocationLoggingConfiguration',
    region,
    ATTACKER_IPS[0]!,
    BOTO,
    null,
  );
}
// The cost bomb.
ev(
  PROD,
  '2026-11-24T04:05:31Z',
  q7xkBearer,
  'bedrock.amazonaws.com',
  'CreateProvisionedModelThroughput',
  'us-west-2',
  ATTACKER_IPS[0]!,
  ATTACKER_AGENTS[0]!,
  {
    modelUnits: 4,
    provisionedModelName: 'prod-throughput-a1',
    modelId: MODELS[0],
    commitmentDuration: 'SixMonths',
  },
  {
    bearer: true,
    responseElements: {
      provisionedModelArn: `arn:${P}:bedrock:us-west-2:${PROD}:provisioned-model/x9k2m4q7w1ab`,
    },
  },
);
// Benign noise in prod: an app's SigV4 calls and a regular user.
const appRole = sso(
  PROD,
  'AWSReservedSSO_PlatformAdmin_0a1b2c3d4e5f6789',
  'li.wei@acme.example',
  '2026-11-20T08:00:00Z',
);
ev(
  PROD,
  '2026-11-20T08:12:30Z',
  appRole,
  'iam.amazonaws.com',
  'CreateUser',
  'us-east-1',
  OFFICE_IP,
  CONSOLE,
  { userName: 'svc-search-indexer' },
);
ev(
  PROD,
  '2026-11-20T08:13:02Z',
  appRole,
  'iam.amazonaws.com',
  'CreateServiceSpecificCredential',
  'us-east-1',
  OFFICE_IP,
  CONSOLE,
  { userName: 'svc-search-indexer', serviceName: 'codecommit.amazonaws.com' },
);
for (let i = 0; i < 10; i++) {
  ev(
    PROD,
    at('2026-11-22T14:00:00Z', i * 3_600),
    iamUser(PROD, 'svc-payments-api', aida(), akia(PROD)),
    'bedrock.amazonaws.com',
    'InvokeModel',
    'us-east-1',
    '10.20.4.17',
    'aws-sdk-js/3.1169.0 ua/2.1 os/linux lang/js md/nodejs#20.19.0',
    { modelId: 'amazon.nova-lite-v1:0' },
    { readOnly: true },
  );
}

// ---------------------------------------------------------------------------------------------
// Other accounts' events

const devAdmin = sso(
  DEV,
  'AWSReservedSSO_Developer_7d1e2f3a4b5c6d7e',
  'tomas.novak@acme.example',
  '2026-11-22T10:00:00Z',
);
ev(
  DEV,
  '2026-11-22T10:31:00Z',
  devAdmin,
  'iam.amazonaws.com',
  'CreateLoginProfile',
  'us-east-1',
  '198.51.100.61',
  CONSOLE,
  { userName: 'BedrockAPIKey-p2rw', passwordResetRequired: false },
);
ev(
  DEV,
  '2026-11-22T10:33:00Z',
  devAdmin,
  'iam.amazonaws.com',
  'AddUserToGroup',
  'us-east-1',
  '198.51.100.61',
  CONSOLE,
  { groupName: 'developers', userName: 'BedrockAPIKey-t5hn' },
);
const danaSelf = iamUser(DEV, danaKim.name, danaKim.id, akia(DEV));
ev(
  DEV,
  '2026-11-26T16:02:45Z',
  danaSelf,
  'iam.amazonaws.com',
  'CreateServiceSpecificCredential',
  'us-east-1',
  '198.51.100.88',
  CLI,
  { userName: danaKim.name, serviceName: 'bedrock.amazonaws.com' },
  {
    responseElements: {
      serviceSpecificCredential: {
        createDate: 'Nov 26, 2026, 4:02:45 PM',
        serviceName: 'bedrock.amazonaws.com',
        serviceCredentialAlias: `${danaKim.name}-at-${DEV}`,
        serviceSpecificCredentialId: danaKim.sscId,
        userName: danaKim.name,
        status: 'Active',
      },
    },
  },
);
for (let i = 0; i < 5; i++) {
  ev(
    DEV,
    at('2026-11-26T16:10:00Z', i * 400),
    iamUser(DEV, danaKim.name, danaKim.id),
    'bedrock.amazonaws.com',
    'Converse',
    'us-west-2',
    '198.51.100.88',
    'Boto3/1.40.12',
    { modelId: MODELS[3] },
    { readOnly: true, bearer: true },
  );
}
const dsAdmin = sso(
  DS,
  'AWSReservedSSO_DataScientist_3c4d5e6f7a8b9c0d',
  'priya.sharma@acme.example',
  '2026-11-23T13:00:00Z',
);
ev(
  DS,
  '2026-11-23T13:20:10Z',
  dsAdmin,
  'iam.amazonaws.com',
  'CreateUser',
  'us-east-1',
  '198.51.100.90',
  CONSOLE,
  { userName: ds7hq2k.name },
);
ev(
  DS,
  '2026-11-23T13:20:11Z',
  dsAdmin,
  'iam.amazonaws.com',
  'AttachUserPolicy',
  'us-east-1',
  '198.51.100.90',
  CONSOLE,
  { userName: ds7hq2k.name, policyArn: ANTHROPIC_LIMITED },
);
ev(
  DS,
  '2026-11-23T13:20:11Z',
  dsAdmin,
  'iam.amazonaws.com',
  'CreateServiceSpecificCredential',
  'us-east-1',
  '198.51.100.90',
  CONSOLE,
  { userName: ds7hq2k.name, serviceName: 'aws-external-anthropic.amazonaws.com', credentialAgeDays: 90 },
);
// Short-term keys minted from a SageMaker notebook role: the signer's identity, the ASIA key id.
const notebook = sso(DS, 'SageMakerNotebookRole', 'SageMaker', '2026-11-25T09:00:00Z', false);
for (let i = 0; i < 6; i++) {
  ev(
    DS,
    at('2026-11-25T09:30:00Z', i * 700),
    notebook,
    'bedrock.amazonaws.com',
    'InvokeModel',
    'us-west-2',
    '10.40.1.12',
    'python-requests/2.32.5',
    { modelId: MODELS[1] },
    { readOnly: true, bearer: true },
  );
}
const mgmtAdmin = iamUser(MGMT, 'alice.nguyen', aida(), akia(MGMT));
ev(
  MGMT,
  '2026-11-20T11:00:00Z',
  mgmtAdmin,
  'iam.amazonaws.com',
  'CreateUser',
  'us-east-1',
  '198.51.100.10',
  CLI,
  { userName: 'secops' },
);
ev(
  SANDBOX,
  '2026-11-27T18:45:00Z',
  iamUser(SANDBOX, 'BedrockAPIKey-z1xc', aida()),
  'bedrock.amazonaws.com',
  'InvokeModel',
  'us-east-1',
  '192.0.2.200',
  'python-requests/2.32.5',
  { modelId: MODELS[2] },
  { readOnly: true, bearer: true },
);

// ---------------------------------------------------------------------------------------------
// Users

const u = (name: string, extra: Partial<ScenarioUser> = {}): ScenarioUser => ({ name, ...extra });
const key = (
  account: string,
  createdAt: string,
  lastUsedAt: string | null = null,
  status: 'Active' | 'Inactive' = 'Active',
) => ({
  id: akia(account),
  secret: secret(),
  status,
  createdAt,
  lastUsedAt,
});
const ssc = (
  service: string,
  createdAt: string,
  expiresAt: string | null,
  extra: Record<string, unknown> = {},
) => ({
  id: acca(),
  service,
  secret: secret(),
  status: 'Active' as const,
  createdAt,
  expiresAt,
  ...extra,
});
const BEDROCK = 'bedrock.amazonaws.com';
const ANTHROPIC = 'aws-external-anthropic.amazonaws.com';

const mgmtUsers: ScenarioUser[] = [
  u('secops', {
    createdAt: '2026-11-20T11:00:00Z',
    managedPolicies: [policy('SecurityAudit'), policy('IAMFullAccess')],
    tags: { team: 'security' },
  }),
  u('alice.nguyen', {
    createdAt: '2024-03-02T10:00:00Z',
    managedPolicies: [policy('AdministratorAccess')],
    loginProfile: true,
    mfaDevices: 1,
    accessKeys: [key(MGMT, '2025-06-01T09:00:00Z', '2026-11-27T16:00:00Z')],
  }),
  u('bob.martinez', {
    createdAt: '2023-11-15T10:00:00Z',
    managedPolicies: [policy('AdministratorAccess')],
    loginProfile: true,
    mfaDevices: 1,
    tags: { purpose: 'break-glass' },
  }),
  u('ci-terraform', {
    createdAt: '2024-01-10T10:00:00Z',
    managedPolicies: [policy('AdministratorAccess')],
    accessKeys: [key(MGMT, '2025-01-10T10:00:00Z', '2026-11-28T03:00:00Z')],
  }),
  u('billing-reader', {
    createdAt: '2024-05-10T10:00:00Z',
    managedPolicies: [policy('job-function/Billing')],
    loginProfile: true,
  }),
  u('BedrockAPIKey-h42z', { createdAt: '2026-06-03T15:20:00Z', managedPolicies: [BEDROCK_LIMITED] }),
];

const prodUsers: ScenarioUser[] = [
  u(phantomQ7xk.name, {
    id: phantomQ7xk.id,
    createdAt: t0,
    managedPolicies: [BEDROCK_LIMITED],
    accessKeys: [
      {
        id: phantomQ7xk.accessKey,
        secret: secret(),
        status: 'Active',
        createdAt: '2026-11-24T02:00:00Z',
        lastUsedAt: '2026-11-24T03:43:14Z',
        lastUsedService: 'bedrock',
        lastUsedRegion: 'us-west-2',
      },
    ],
    serviceCredentials: [
      { ...ssc(BEDROCK, '2026-11-21T09:14:06Z', '2026-12-21T09:14:06Z'), id: phantomQ7xk.sscId },
      // The ML team's second key on the same user, for a notebook: revoking the leaked key must leave it working.
      {
        id: q7xkSecond.sscId,
        service: BEDROCK,
        secret: `simEXAMPLE${later.chars(40, SECRET_ALPHABET)}`,
        status: 'Active',
        createdAt: q7xkSecond.createdAt,
        expiresAt: '2027-02-21T10:05:12Z',
      },
    ],
  }),
  u('BedrockAPIKey-m3vd', {
    createdAt: '2026-04-11T08:30:00Z',
    managedPolicies: [BEDROCK_LIMITED],
    serviceCredentials: [ssc(BEDROCK, '2026-04-11T08:30:01Z', null)],
  }),
  u('jenkins-legacy', {
    createdAt: '2021-08-19T12:00:00Z',
    managedPolicies: [policy('IAMFullAccess'), policy('AmazonS3FullAccess')],
    accessKeys: [key(PROD, '2021-08-19T12:05:00Z', '2026-11-24T02:00:00Z')],
    tags: { owner: 'platform', note: 'decommission-2024' },
  }),
  u('svc-payments-api', {
    createdAt: '2023-02-01T10:00:00Z',
    accessKeys: [key(PROD, '2025-02-01T10:00:00Z', '2026-11-28T11:50:00Z')],
    inlinePolicies: {
      'bedrock-invoke': {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: '*' }],
      },
    },
  }),
  u('svc-orders-worker', {
    createdAt: '2023-02-01T10:00:00Z',
    accessKeys: [key(PROD, '2024-09-01T10:00:00Z', '2026-11-28T11:58:00Z')],
  }),
  u('svc-chatbot', {
    createdAt: '2025-09-09T09:00:00Z',
    inlinePolicies: {
      'bedrock-chat': {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['bedrock:InvokeModel', 'bedrock:CallWithBearerToken'], Resource: '*' },
        ],
      },
    },
    // Two API keys on one user: the second carries `+1` in its alias.
    serviceCredentials: [
      ssc(BEDROCK, '2025-09-09T09:05:00Z', null),
      ssc(BEDROCK, '2026-10-01T09:05:00Z', '2027-01-01T09:05:00Z'),
    ],
  }),
  u('svc-search-indexer', {
    createdAt: '2026-11-20T08:12:30Z',
    serviceCredentials: [{ ...ssc('codecommit.amazonaws.com', '2026-11-20T08:13:02Z', null) }],
  }),
  u('li.wei', { createdAt: '2022-03-01T10:00:00Z', loginProfile: true, mfaDevices: 1 }),
  u('sam.okafor', {
    createdAt: '2022-07-12T10:00:00Z',
    loginProfile: true,
    accessKeys: [key(PROD, '2022-07-12T10:00:00Z', '2025-01-03T10:00:00Z', 'Inactive')],
  }),
  u('grafana-cloudwatch', {
    createdAt: '2023-05-05T10:00:00Z',
    managedPolicies: [policy('CloudWatchReadOnlyAccess')],
    accessKeys: [key(PROD, '2023-05-05T10:00:00Z', '2026-11-28T11:59:00Z')],
  }),
  u('backup-operator', {
    createdAt: '2022-01-20T10:00:00Z',
    accessKeys: [
      key(PROD, '2022-01-20T10:00:00Z', '2026-11-27T01:00:00Z'),
      key(PROD, '2026-01-20T10:00:00Z', null),
    ],
  }),
];

const devUsers: ScenarioUser[] = [
  u('BedrockAPIKey-a9fz', { createdAt: '2026-02-14T11:11:00Z', managedPolicies: [BEDROCK_LIMITED] }),
  u('BedrockAPIKey-p2rw', {
    createdAt: '2026-10-02T14:00:00Z',
    managedPolicies: [BEDROCK_LIMITED],
    loginProfile: { createdAt: '2026-11-22T10:31:00Z' },
    serviceCredentials: [ssc(BEDROCK, '2026-10-02T14:00:01Z', '2026-12-31T14:00:01Z')],
  }),
  u('BedrockAPIKey-t5hn', {
    createdAt: '2026-08-01T09:00:00Z',
    managedPolicies: [BEDROCK_LIMITED],
    groups: ['developers'],
    serviceCredentials: [ssc(BEDROCK, '2026-08-01T09:00:01Z', '2026-08-31T09:00:01Z')],
  }),
  // Look-alikes made by hand: the prefix without the console's managed policy or any key.
  u('BedrockAPIKey-test', {
    createdAt: '2025-12-01T10:00:00Z',
    groups: ['developers'],
    tags: { createdBy: 'tomas.novak' },
  }),
  u('BedrockAPIKeyRotator', {
    createdAt: '2026-01-05T10:00:00Z',
    managedPolicies: [policy('IAMReadOnlyAccess')],
    accessKeys: [key(DEV, '2026-01-05T10:00:00Z', '2026-11-28T00:00:00Z')],
  }),
  u(danaKim.name, {
    id: danaKim.id,
    createdAt: '2024-02-02T10:00:00Z',
    loginProfile: true,
    groups: ['developers'],
    serviceCredentials: [{ ...ssc(BEDROCK, '2026-11-26T16:02:45Z', null), id: danaKim.sscId }],
  }),
  u('tomas.novak', {
    createdAt: '2023-03-03T10:00:00Z',
    loginProfile: true,
    mfaDevices: 1,
    groups: ['developers'],
    accessKeys: [key(DEV, '2024-03-03T10:00:00Z', '2026-11-28T09:00:00Z')],
  }),
  u('lucia.rossi', {
    createdAt: '2023-06-13T10:00:00Z',
    loginProfile: true,
    groups: ['developers'],
    sshPublicKeys: 1,
  }),
  u('kenji.tanaka', {
    createdAt: '2024-09-09T10:00:00Z',
    loginProfile: true,
    groups: ['developers'],
    accessKeys: [key(DEV, '2024-09-09T10:00:00Z', '2026-10-01T10:00:00Z')],
  }),
  u('farah.haddad', { createdAt: '2025-01-15T10:00:00Z', groups: ['developers'], signingCertificates: 1 }),
  u('ci-github-actions', {
    createdAt: '2024-04-04T10:00:00Z',
    managedPolicies: [policy('PowerUserAccess')],
    accessKeys: [key(DEV, '2025-04-04T10:00:00Z', '2026-11-28T10:30:00Z')],
  }),
  u('qa-bot', {
    createdAt: '2025-07-07T10:00:00Z',
    serviceCredentials: [ssc('codecommit.amazonaws.com', '2025-07-07T10:05:00Z', null)],
  }),
];

const dsUsers: ScenarioUser[] = [
  u(ds7hq2k.name, {
    id: ds7hq2k.id,
    createdAt: '2026-11-23T13:20:10Z',
    managedPolicies: [ANTHROPIC_LIMITED],
    serviceCredentials: [
      { ...ssc(ANTHROPIC, '2026-11-23T13:20:11Z', '2027-02-21T13:20:11Z'), id: ds7hq2k.sscId },
    ],
  }),
  u('AeaApiKey-x4m9p', { createdAt: '2026-07-17T10:00:00Z', managedPolicies: [ANTHROPIC_LIMITED] }),
  // A phantom only its managed policy gives away (renamed by an IaC import).
  u('ds-notebook-bedrock', {
    createdAt: '2026-05-20T10:00:00Z',
    managedPolicies: [BEDROCK_LIMITED],
    serviceCredentials: [ssc(BEDROCK, '2026-05-20T10:00:01Z', null)],
  }),
  u('BedrockAPIKey-k8sd', {
    createdAt: '2026-09-01T10:00:00Z',
    managedPolicies: [BEDROCK_LIMITED],
    serviceCredentials: [ssc(BEDROCK, '2026-09-01T10:00:01Z', '2026-10-01T10:00:01Z')],
  }),
  u('priya.sharma', {
    createdAt: '2024-10-10T10:00:00Z',
    loginProfile: true,
    mfaDevices: 1,
    serviceCredentials: [ssc(BEDROCK, '2026-11-20T10:00:00Z', '2026-12-05T10:00:00Z')],
  }),
  u('omar.haddad', {
    createdAt: '2025-03-03T10:00:00Z',
    loginProfile: true,
    accessKeys: [key(DS, '2025-03-03T10:00:00Z', '2026-11-25T10:00:00Z')],
  }),
  u('elena.ivanova', {
    createdAt: '2025-05-05T10:00:00Z',
    loginProfile: true,
    serviceCredentials: [
      ssc(BEDROCK, '2026-01-05T10:00:00Z', null),
      ssc(BEDROCK, '2026-06-05T10:00:00Z', null, { status: 'Inactive' }),
    ],
  }),
  u('svc-ml-batch', {
    createdAt: '2025-08-08T10:00:00Z',
    accessKeys: [key(DS, '2025-08-08T10:00:00Z', '2026-11-28T02:00:00Z')],
  }),
  u('svc-feature-store', {
    createdAt: '2025-08-09T10:00:00Z',
    accessKeys: [key(DS, '2025-08-09T10:00:00Z', '2026-11-28T02:10:00Z')],
  }),
];

const sandboxUsers: ScenarioUser[] = [
  u('BedrockAPIKey-z1xc', {
    createdAt: '2026-03-03T10:00:00Z',
    managedPolicies: [BEDROCK_LIMITED],
    serviceCredentials: [ssc(BEDROCK, '2026-03-03T10:00:01Z', null)],
  }),
  u('hackathon-2026', {
    createdAt: '2026-03-01T10:00:00Z',
    loginProfile: true,
    managedPolicies: [policy('AdministratorAccess')],
  }),
  u('intern-jonas', {
    createdAt: '2026-06-01T10:00:00Z',
    loginProfile: true,
    accessKeys: [key(SANDBOX, '2026-06-01T10:00:00Z', '2026-08-30T10:00:00Z')],
  }),
  u('experiment-runner', {
    createdAt: '2026-04-04T10:00:00Z',
    accessKeys: [key(SANDBOX, '2026-04-04T10:00:00Z', null)],
  }),
];

const orgRole = {
  name: 'OrganizationAccountAccessRole',
  createdAt: '2021-01-01T00:00:00Z',
  trustedAccounts: [MGMT],
  managedPolicies: [policy('AdministratorAccess')],
};

function account(
  id: string,
  alias: string,
  users: ScenarioUser[],
  extra: Partial<ScenarioAccount> = {},
): ScenarioAccount {
  const a: ScenarioAccount = { id, alias, regions: REGIONS, users, ...extra };
  const list = events[id] ?? [];
  if (list.length > 0) a.events = [...list].sort((x, y) => x.eventTime.localeCompare(y.eventTime));
  return a;
}

export function buildDemo(): Scenario {
  return {
    $schema: '../schemas/scenario.schema.json',
    partition: P,
    now: NOW,
    seed: 20261128,
    principals: [
      {
        accessKeyId: secopsKey,
        secretAccessKey: secret(),
        account: MGMT,
        arn: `arn:${P}:iam::${MGMT}:user/secops`,
      },
    ],
    organization: {
      id: 'o-acme7x2k9q',
      managementAccount: MGMT,
      managementAccountEmail: 'aws-root@acme.example',
      accounts: [
        {
          id: MGMT,
          name: 'acme-management',
          email: 'aws-root@acme.example',
          joinedMethod: 'INVITED',
          joinedAt: '2021-01-01T00:00:00Z',
        },
        { id: PROD, name: 'acme-prod', email: 'aws-prod@acme.example', joinedAt: '2021-01-01T00:00:00Z' },
        { id: DEV, name: 'acme-dev', email: 'aws-dev@acme.example', joinedAt: '2021-01-01T00:00:00Z' },
        { id: DS, name: 'acme-data-science', email: 'aws-ds@acme.example', joinedAt: '2024-06-01T00:00:00Z' },
        {
          id: SANDBOX,
          name: 'acme-sandbox',
          email: 'aws-sandbox@acme.example',
          joinedMethod: 'INVITED',
          joinedAt: '2025-02-01T00:00:00Z',
        },
        {
          id: '666666666666',
          name: 'acme-legacy-research',
          email: 'aws-legacy@acme.example',
          state: 'SUSPENDED',
          joinedAt: '2019-05-01T00:00:00Z',
        },
      ],
    },
    accounts: [
      account(MGMT, 'acme-management', mgmtUsers, {
        // The security team's detection prerequisites, as `bks coverage` reads them: an organization
        // trail of management events only (no data events), Security Hub on, GuardDuty on without
        // AI Protection, no model invocation logging.
        cloudtrail: {
          trails: [
            {
              Name: 'acme-org-trail',
              HomeRegion: 'us-east-1',
              IsMultiRegionTrail: true,
              IsOrganizationTrail: true,
              S3BucketName: 'acme-org-cloudtrail',
              EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }],
            },
          ],
        },
        securityHub: { enabled: true },
        guardDuty: {
          detectors: [
            {
              DetectorId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
              Status: 'ENABLED',
              Features: [
                { Name: 'CLOUD_TRAIL', Status: 'ENABLED' },
                { Name: 'AI_PROTECTION', Status: 'DISABLED' },
              ],
            },
          ],
        },
      }),
      account(PROD, 'acme-prod', prodUsers, { roles: [orgRole] }),
      account(DEV, 'acme-dev', devUsers, {
        roles: [orgRole],
        groups: [{ name: 'developers', managedPolicies: [policy('PowerUserAccess')] }],
      }),
      account(DS, 'acme-data-science', dsUsers, {
        roles: [orgRole, { name: 'SageMakerNotebookRole', trustedAccounts: [DS] }],
      }),
      // Joined by invitation: nobody created OrganizationAccountAccessRole here, so AssumeRole fails.
      account(SANDBOX, 'acme-sandbox', sandboxUsers),
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(buildDemo(), null, 2)}\n`);
}
