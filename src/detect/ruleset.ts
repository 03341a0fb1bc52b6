/**
 * The rule set, built from the service table (`SERVICES`) and the event tables (`knowledge.ts`).
 * `bks detections build` writes it to detections/*.json; a test fails when the files drift from
 * what this module builds, so the data stays reviewable JSON and stays derived from `SERVICES`.
 *
 * Rule ids are stable: `BKS-<nnn>` for rules that span services, `BKS-<nnn>-<SERVICE ID>` for a
 * rule generated per key-bearing service (a new service adds ids, never renumbers).
 */
import { createHash } from 'node:crypto';
import accessKeyJson from '../../detections/samples/access-key-created-on-phantom.json';
import benignInvokeJson from '../../detections/samples/benign-invoke-model-sigv4.json';
import attachJson from '../../detections/samples/console-attach-limited-access.json';
import createKeyJson from '../../detections/samples/console-create-bedrock-api-key.json';
import createPhantomJson from '../../detections/samples/console-create-phantom-user.json';
import invokeLongTermJson from '../../detections/samples/invoke-model-with-long-term-key.json';
import mantleJson from '../../detections/samples/mantle-create-inference-long-term.json';
import { type KeyBearingService, SERVICES } from '../services';
import {
  API_CALL_DETAIL_TYPE,
  BEDROCK_EVASION_EVENTS,
  type CloudTrailRecord,
  COST_BOMB_EVENTS,
  DETAIL_TYPES,
  eventBridgeSource,
  IAM_EVENT_SOURCE,
  INVOKE_EVENTS,
  keyEventSources,
  MODEL_ACCESS_EVENTS,
  PHANTOM_ESCALATION_EVENTS,
  PHANTOM_LOGIN_EVENTS,
  PHANTOM_MFA_EVENTS,
  PHANTOM_OTHER_CREDENTIAL_EVENTS,
  RECON_EVENTS,
} from './knowledge';
import type { EventPattern } from './pattern';
import { checkRuleSemantics, deployOf, type Rule, type RuleFile, type SampleRef } from './rules';

/** Keys older than this many days are "over the maximum age" (the SCP's 90-day limit). */
export const MAX_KEY_AGE_DAYS = 90;
/** `CredentialAgeDays` at or above this is the console's "never expires" (~100 years, §4). */
export const NEVER_EXPIRES_DAYS = 36500;
/** Defaults of the stateful rules (overridable per run: `bks hunt --volume-threshold …`). */
export const VOLUME_THRESHOLD = 100;
export const VOLUME_WINDOW_SECONDS = 300;
export const REGIONS_THRESHOLD = 2;
export const REGIONS_WINDOW_SECONDS = 1800;

const ACCOUNT = '123456789012';
const BEDROCK_SOURCE = 'bedrock.amazonaws.com';
/** The service the hand-written sample files describe; other services' samples are translated from it. */
const TEMPLATE = SERVICES[0] as KeyBearingService;

const ref = (file: string): SampleRef => ({ file: `samples/${file}` });
const sid = (s: KeyBearingService) => s.id.toUpperCase();
const iamSource = eventBridgeSource(IAM_EVENT_SOURCE);
const bearerFlag = [true, { 'equals-ignore-case': 'true' }];
/** The managed policy ARN in every partition (aws, aws-us-gov, aws-cn), as a wildcard. */
const policyWildcard = (s: KeyBearingService) => `arn:aws*:iam::aws:policy/${s.managedPolicyName}`;

// ---------------------------------------------------------------------------------------------
// Sample records: small but complete CloudTrail records, with deterministic ids.

type Identity = NonNullable<CloudTrailRecord['userIdentity']>;

const admin = (partition = 'aws'): Identity => ({
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLEROLEID0001:jane@example.com',
  arn: `arn:${partition}:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane@example.com`,
  accountId: ACCOUNT,
  accessKeyId: 'ASIAEXAMPLESESSION01',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      arn: `arn:${partition}:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`,
      userName: 'AWSReservedSSO_Admin_0123456789abcdef',
    },
  },
});
const iamUser = (userName: string, partition = 'aws'): Identity => ({
  type: 'IAMUser',
  principalId: `AIDA${createHash('sha1').update(userName).digest('hex').slice(0, 16).toUpperCase()}`,
  arn: `arn:${partition}:iam::${ACCOUNT}:user/${userName}`,
  accountId: ACCOUNT,
  userName,
});
const phantomName = (s: KeyBearingService, suffix = 'q7xk') => `${s.phantomUserPrefix}${suffix}`;
const phantom = (s: KeyBearingService, partition = 'aws') => iamUser(phantomName(s), partition);
const root = (): Identity => ({
  type: 'Root',
  principalId: ACCOUNT,
  arn: `arn:aws:iam::${ACCOUNT}:root`,
  accountId: ACCOUNT,
});
const identityCenterUser = (): Identity => ({
  type: 'IdentityCenterUser',
  accountId: ACCOUNT,
  onBehalfOf: {
    userId: '94482488-3041-7026-18f3-be45837cd0e4',
    identityStoreArn: 'arn:aws:identitystore::123456789012:identitystore/d-9067642ac7',
  },
  credentialId: 'EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE',
});
const awsService = (by: string): Identity => ({ type: 'AWSService', invokedBy: by });
const federated = (): Identity => ({
  type: 'FederatedUser',
  principalId: `${ACCOUNT}:contractor`,
  arn: `arn:aws:sts::${ACCOUNT}:federated-user/contractor`,
  accountId: ACCOUNT,
  accessKeyId: 'ASIAEXAMPLEFEDERAT01',
});

let counter = 0;
/** An EventBridge event carrying a CloudTrail-like detail but a custom (non-AWS) source. */
function forgedEnvelope(detail: CloudTrailRecord): CloudTrailRecord {
  return {
    version: '0',
    id: 'c0ffee00-0000-4000-8000-000000000016',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'custom.forwarded',
    account: detail.recipientAccountId,
    time: detail.eventTime,
    region: detail.awsRegion,
    resources: [],
    detail,
  } as unknown as CloudTrailRecord;
}

function record(
  fields: Partial<CloudTrailRecord> & { eventName: string; eventSource: string },
): CloudTrailRecord {
  counter++;
  const h = createHash('sha1').update(`${counter}:${fields.eventSource}:${fields.eventName}`).digest('hex');
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  return {
    eventVersion: '1.11',
    userIdentity: admin(),
    eventTime: '2026-11-09T02:00:00Z',
    awsRegion: fields.eventSource === IAM_EVENT_SOURCE ? 'us-east-1' : 'us-west-2',
    sourceIPAddress: '203.0.113.77',
    userAgent: 'aws-cli/2.31.0',
    requestParameters: null,
    responseElements: null,
    requestID: uuid.replace(/^./, '9'),
    eventID: uuid,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...fields,
  };
}

const iam = (eventName: string, fields: Partial<CloudTrailRecord> = {}) =>
  record({ eventSource: IAM_EVENT_SOURCE, eventName, ...fields });

/** Translates a template-service record into another service's names (prefixes, policy, SSC name, sources). */
function translate<T>(value: T, s: KeyBearingService): T {
  if (s === TEMPLATE) return value;
  let text = JSON.stringify(value);
  const pairs: [string, string][] = [
    [TEMPLATE.phantomUserPrefix, s.phantomUserPrefix],
    [TEMPLATE.managedPolicyName, s.managedPolicyName],
    [TEMPLATE.sscServiceName, s.sscServiceName],
    ...TEMPLATE.eventSources.map((src, i): [string, string] => [
      src,
      s.eventSources[Math.min(i, s.eventSources.length - 1)] as string,
    ]),
  ];
  for (const [from, to] of pairs) text = text.split(from).join(to);
  return JSON.parse(text) as T;
}

/** The file sample for the template service, translated inline for the others. */
function fileOrTranslated(s: KeyBearingService, file: string, template: CloudTrailRecord): SampleRef {
  return s === TEMPLATE ? ref(file) : (translate(template, s) as SampleRef);
}

// The hand-written sample files in detections/samples/ (synthetic records shaped after the
// CloudTrail events AWS documents), as records for translation.
const FILE = {
  createPhantom: 'console-create-phantom-user.json',
  attach: 'console-attach-limited-access.json',
  createKey: 'console-create-bedrock-api-key.json',
  accessKey: 'access-key-created-on-phantom.json',
  invokeLongTerm: 'invoke-model-with-long-term-key.json',
  mantle: 'mantle-create-inference-long-term.json',
  benignUser: 'benign-create-regular-user.json',
  benignCodecommit: 'benign-codecommit-credential.json',
  benignInvoke: 'benign-invoke-model-sigv4.json',
  envelope: 'eventbridge-envelope-example.json',
} as const;

function createUser(userName: string, identity = admin(), extra: Partial<CloudTrailRecord> = {}) {
  return iam('CreateUser', {
    userIdentity: identity,
    requestParameters: { userName },
    responseElements: {
      user: {
        path: '/',
        userName,
        userId: 'AIDAEXAMPLEPHANTOM01',
        arn: `arn:aws:iam::${ACCOUNT}:user/${userName}`,
      },
    },
    ...extra,
  });
}

function createKey(
  s: KeyBearingService,
  userName: string,
  ageDays: number | undefined,
  extra: Partial<CloudTrailRecord> = {},
) {
  const expires = ageDays === undefined ? {} : { expirationDate: 'Dec 2, 2026, 9:14:06 AM' };
  return iam('CreateServiceSpecificCredential', {
    requestParameters: {
      userName,
      serviceName: s.sscServiceName,
      ...(ageDays === undefined ? {} : { credentialAgeDays: ageDays }),
    },
    responseElements: {
      serviceSpecificCredential: {
        createDate: 'Nov 2, 2026, 9:14:06 AM',
        ...expires,
        serviceName: s.sscServiceName,
        serviceCredentialAlias: `${userName}-at-${ACCOUNT}`,
        serviceSpecificCredentialId: 'ACCAEXAMPLECRED00001',
        userName,
        status: 'Active',
      },
    },
    ...extra,
  });
}

function onUser(
  eventName: string,
  userName: string,
  params: Record<string, unknown> = {},
  extra: Partial<CloudTrailRecord> = {},
) {
  return iam(eventName, { requestParameters: { userName, ...params }, ...extra });
}

function keyCall(
  s: KeyBearingService,
  eventName: string,
  identity: Identity,
  where: 'additionalEventData' | 'requestParameters' | 'none',
  flag: unknown = true,
  extra: Partial<CloudTrailRecord> = {},
) {
  const eventSource =
    where === 'requestParameters'
      ? (s.eventSources[s.eventSources.length - 1] as string)
      : (s.eventSources[0] as string);
  const rp =
    where === 'requestParameters'
      ? { callWithBearerToken: flag, bearerTokenType: 'LONG_TERM', model: 'example.model-v1' }
      : { modelId: 'example.model-v1' };
  return record({
    eventSource,
    eventName,
    userIdentity: identity,
    requestParameters: rp,
    ...(where === 'additionalEventData' ? { additionalEventData: { callWithBearerToken: flag } } : {}),
    ...extra,
  });
}

const bedrockCall = (
  eventName: string,
  identity: Identity,
  bearer: unknown,
  extra: Partial<CloudTrailRecord> = {},
) =>
  record({
    eventSource: BEDROCK_SOURCE,
    eventName,
    userIdentity: identity,
    requestParameters: {},
    ...(bearer === undefined ? {} : { additionalEventData: { callWithBearerToken: bearer } }),
    ...extra,
  });

// A short-term key's caller: the signer's identity, with the key's access key id (§4).
const shortTermSigner = (): Identity => ({
  ...admin(),
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ci-runner/i-0abc`,
  principalId: 'AROAEXAMPLECIRUNNER1:i-0abc',
  accessKeyId: 'ASIAEXAMPLESHORTKEY1',
});

// ---------------------------------------------------------------------------------------------
// Rule builders

type Draft = Omit<RuleFile, 'deploy'>;

const cloudTrail = (
  source: string | string[],
  detail: Record<string, unknown>,
  detailTypes = [API_CALL_DETAIL_TYPE],
): EventPattern => ({
  source: Array.isArray(source) ? source : [source],
  'detail-type': detailTypes,
  detail,
});

/** Caller is an API key: the bearer flag in either place, or a phantom IAM user of any service. */
const keyPrincipal = (services: readonly KeyBearingService[]) => [
  { additionalEventData: { callWithBearerToken: bearerFlag } },
  { requestParameters: { callWithBearerToken: bearerFlag } },
  { userIdentity: { type: ['IAMUser'], userName: services.map((s) => ({ prefix: s.phantomUserPrefix })) } },
];

/** The rules built for each key-bearing service: one builder per rule, each given the service. */
function perService(s: KeyBearingService): Draft[] {
  const c = serviceRuleContext(s);
  return PER_SERVICE_RULES.map((rule) => rule(c));
}

type ServiceRuleContext = ReturnType<typeof serviceRuleContext>;

/** The service, its phantom user name, and the translation of template samples to it. */
function serviceRuleContext(s: KeyBearingService) {
  const phantomUser = phantomName(s);
  const tpl = (r: CloudTrailRecord) => translate(r, s);
  const templatePhantom = phantomName(TEMPLATE);
  return { s, phantomUser, tpl, templatePhantom };
}

function serviceRule001({ s, phantomUser, tpl, templatePhantom }: ServiceRuleContext): Draft {
  return {
    id: `BKS-001-${sid(s)}`,
    title: `${s.displayName} phantom user created (${s.phantomUserPrefix}*)`,
    severity: 'LOW',
    severityRationale:
      'Expected when someone makes a long-term key in the console, but it leaves a standing IAM user with a broad managed policy that nobody deletes; worth an inventory entry, not a page.',
    description: `An IAM user named ${s.phantomUserPrefix}… was created: the console does this for every long-term ${s.displayName} API key and attaches ${s.managedPolicyName}. The user outlives the key.`,
    remediation: `Confirm the key was wanted (owner, expiry). Run \`bks scan\`; delete the user with \`bks cleanup\` once its key is gone.`,
    attack: { id: 'T1136.003', name: 'Create Account: Cloud Account' },
    tags: ['persistence', 'credential-creation'],
    kind: 'pattern',
    service: s.id,
    pattern: cloudTrail(iamSource, {
      eventSource: [IAM_EVENT_SOURCE],
      eventName: ['CreateUser'],
      errorCode: [{ exists: false }],
      requestParameters: { userName: [{ prefix: s.phantomUserPrefix }] },
    }),
    samples: {
      match: [
        fileOrTranslated(s, FILE.createPhantom, readTemplate('createPhantom')),
        tpl(createUser(`${templatePhantom.slice(0, -4)}zz01`, root())),
        tpl(createUser(`${templatePhantom.slice(0, -4)}ic42`, identityCenterUser())),
      ],
      noMatch: [
        ref(FILE.benignUser),
        createUser(phantomUser.toLowerCase()),
        createUser(phantomUser, admin(), {
          errorCode: 'EntityAlreadyExists',
          errorMessage: 'exists',
          responseElements: null,
        }),
        tpl(onUser('DeleteUser', templatePhantom)),
        ...SERVICES.filter((o) => o !== s).map((o) => createUser(phantomName(o))),
      ],
    },
  };
}

function serviceRule002({ s }: ServiceRuleContext): Draft {
  return {
    id: `BKS-002-${sid(s)}`,
    title: `${s.managedPolicyName} attached to a role, a group or an ordinary user`,
    severity: 'MEDIUM',
    severityRationale:
      'The policy grants bearer-token use, model invocation and cost-bearing jobs; outside a fresh phantom user it widens who can mint or use keys, but it is a deliberate admin action.',
    description: `The ${s.displayName} key policy ${s.managedPolicyName} was attached to a role, a group, or an IAM user that is not a ${s.phantomUserPrefix}… phantom. The console only attaches it to the phantom it just created.`,
    remediation: `Check who attached it and why. Prefer a scoped policy; detach ${s.managedPolicyName} where it is not needed.`,
    attack: { id: 'T1098.003', name: 'Account Manipulation: Additional Cloud Roles' },
    tags: ['privilege-escalation'],
    kind: 'pattern',
    service: s.id,
    limitations:
      'A pattern cannot tell a fresh phantom (created seconds before by the console) from an old user renamed to look like one; phantom-named targets are excluded by name. BKS-009 covers other policies on phantoms.',
    pattern: cloudTrail(iamSource, {
      eventSource: [IAM_EVENT_SOURCE],
      errorCode: [{ exists: false }],
      requestParameters: { policyArn: [{ wildcard: policyWildcard(s) }] },
      $or: [
        { eventName: ['AttachRolePolicy', 'AttachGroupPolicy'] },
        {
          eventName: ['AttachUserPolicy'],
          requestParameters: { userName: [{ 'anything-but': { prefix: s.phantomUserPrefix } }] },
        },
      ],
    }),
    samples: {
      match: [
        iam('AttachRolePolicy', {
          requestParameters: {
            roleName: 'app-role',
            policyArn: `arn:aws:iam::aws:policy/${s.managedPolicyName}`,
          },
        }),
        iam('AttachGroupPolicy', {
          requestParameters: {
            groupName: 'devs',
            policyArn: `arn:aws-us-gov:iam::aws:policy/${s.managedPolicyName}`,
          },
        }),
        onUser(
          'AttachUserPolicy',
          'dev-bob',
          { policyArn: `arn:aws-cn:iam::aws:policy/${s.managedPolicyName}` },
          { userIdentity: iamUser('admin-alice') },
        ),
      ],
      noMatch: [
        fileOrTranslated(s, FILE.attach, readTemplate('attach')),
        onUser('AttachUserPolicy', 'dev-bob', { policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
        iam('AttachRolePolicy', {
          requestParameters: {
            roleName: 'app-role',
            policyArn: `arn:aws:iam::${ACCOUNT}:policy/${s.managedPolicyName}`,
          },
        }),
        iam('AttachRolePolicy', {
          requestParameters: {
            roleName: 'app-role',
            policyArn: `arn:aws:iam::aws:policy/${s.managedPolicyName}`,
          },
          errorCode: 'AccessDenied',
        }),
        iam('DetachRolePolicy', {
          requestParameters: {
            roleName: 'app-role',
            policyArn: `arn:aws:iam::aws:policy/${s.managedPolicyName}`,
          },
        }),
      ],
    },
  };
}

function serviceRule003({ s, phantomUser }: ServiceRuleContext): Draft {
  return {
    id: `BKS-003-${sid(s)}`,
    title: `${s.displayName} API key created`,
    severity: 'LOW',
    severityRationale:
      'A long-term bearer credential now exists; expected for sanctioned use, so low on its own — BKS-004/005 raise it when the key never expires or outlives the maximum age.',
    description: `A long-term ${s.displayName} API key (IAM service-specific credential for ${s.sscServiceName}) was created, on a phantom or on any IAM user. Other services' credentials (CodeCommit, Keyspaces, CloudWatch Logs) never match.`,
    remediation:
      'Confirm the owner and expiry; record the key id. Prefer short-term keys; revoke with `bks revoke-key` if unexpected.',
    attack: { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials' },
    tags: ['credential-creation', 'persistence'],
    kind: 'pattern',
    service: s.id,
    limitations:
      'Matches the service name in the request or, when the sink dropped requestParameters, in the response.',
    pattern: cloudTrail(iamSource, {
      eventSource: [IAM_EVENT_SOURCE],
      eventName: ['CreateServiceSpecificCredential'],
      errorCode: [{ exists: false }],
      $or: [
        { requestParameters: { serviceName: [s.sscServiceName] } },
        { responseElements: { serviceSpecificCredential: { serviceName: [s.sscServiceName] } } },
      ],
    }),
    samples: {
      match: [
        fileOrTranslated(s, FILE.createKey, readTemplate('createKey')),
        createKey(s, 'dev-bob', undefined),
        { ...createKey(s, phantomUser, 7), requestParameters: null },
      ],
      noMatch: [
        ref(FILE.benignCodecommit),
        createKey({ ...s, sscServiceName: 'cassandra.amazonaws.com' }, phantomUser, 30),
        createKey({ ...s, sscServiceName: 'logs.amazonaws.com' }, 'dev-bob', 30),
        createKey(s, phantomUser, 30, { errorCode: 'LimitExceeded', responseElements: null }),
        onUser('ListServiceSpecificCredentials', phantomUser, { serviceName: s.sscServiceName }),
      ],
    },
  };
}

function serviceRule004({ s, phantomUser }: ServiceRuleContext): Draft {
  return {
    id: `BKS-004-${sid(s)}`,
    title: `${s.displayName} API key created that never expires`,
    severity: 'HIGH',
    severityRationale:
      'A bearer credential with no expiry stays valid after it leaks until someone finds and revokes it; leaked keys are used within minutes.',
    description: `A long-term ${s.displayName} API key was created without CredentialAgeDays (no expiry), or with the console's "never" (${NEVER_EXPIRES_DAYS}+ days).`,
    remediation: `Replace it with a key that expires (≤ ${MAX_KEY_AGE_DAYS} days) or a short-term key; enforce expiry with the max-age SCP (\`bks scp show\`).`,
    attack: { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials' },
    tags: ['credential-creation', 'persistence'],
    kind: 'pattern',
    service: s.id,
    pattern: cloudTrail(iamSource, {
      eventSource: [IAM_EVENT_SOURCE],
      eventName: ['CreateServiceSpecificCredential'],
      errorCode: [{ exists: false }],
      requestParameters: { serviceName: [s.sscServiceName] },
      $or: [
        {
          requestParameters: { credentialAgeDays: [{ exists: false }] },
          responseElements: { serviceSpecificCredential: { expirationDate: [{ exists: false }] } },
        },
        { requestParameters: { credentialAgeDays: [{ numeric: ['>=', NEVER_EXPIRES_DAYS] }] } },
      ],
    }),
    samples: {
      match: [createKey(s, phantomUser, undefined), createKey(s, 'dev-bob', 36600, { userIdentity: root() })],
      noMatch: [
        fileOrTranslated(s, FILE.createKey, readTemplate('createKey')),
        createKey(s, phantomUser, 365),
        {
          ...createKey(s, phantomUser, undefined),
          responseElements: {
            serviceSpecificCredential: {
              expirationDate: 'Dec 2, 2026, 9:14:06 AM',
              serviceName: s.sscServiceName,
            },
          },
        },
        ref(FILE.benignCodecommit),
        createKey({ ...s, sscServiceName: 'codecommit.amazonaws.com' }, 'dev-bob', undefined),
      ],
    },
  };
}

function serviceRule005({ s, phantomUser }: ServiceRuleContext): Draft {
  return {
    id: `BKS-005-${sid(s)}`,
    title: `${s.displayName} API key created with more than ${MAX_KEY_AGE_DAYS} days of life`,
    severity: 'MEDIUM',
    severityRationale: `Longer than the ${MAX_KEY_AGE_DAYS}-day maximum the SCPs enforce: a leak stays exploitable for months, but the key does expire.`,
    description: `A long-term ${s.displayName} API key was created with CredentialAgeDays above ${MAX_KEY_AGE_DAYS} (and below the console's "never", which BKS-004 covers).`,
    remediation: `Recreate it with ≤ ${MAX_KEY_AGE_DAYS} days, or use short-term keys; deploy the max-age SCP.`,
    attack: { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials' },
    tags: ['credential-creation'],
    kind: 'pattern',
    service: s.id,
    pattern: cloudTrail(iamSource, {
      eventSource: [IAM_EVENT_SOURCE],
      eventName: ['CreateServiceSpecificCredential'],
      errorCode: [{ exists: false }],
      requestParameters: {
        serviceName: [s.sscServiceName],
        credentialAgeDays: [{ numeric: ['>', MAX_KEY_AGE_DAYS, '<', NEVER_EXPIRES_DAYS] }],
      },
    }),
    samples: {
      match: [createKey(s, phantomUser, 365), createKey(s, 'dev-bob', 91)],
      noMatch: [
        createKey(s, phantomUser, 90),
        createKey(s, phantomUser, 36600),
        createKey(s, phantomUser, undefined),
        {
          ...createKey(s, phantomUser, 365),
          requestParameters: {
            userName: phantomUser,
            serviceName: s.sscServiceName,
            credentialAgeDays: '365',
          },
        },
        createKey({ ...s, sscServiceName: 'codecommit.amazonaws.com' }, 'dev-bob', 365),
      ],
    },
  };
}

function serviceRule006({ s, phantomUser }: ServiceRuleContext): Draft {
  return {
    id: `BKS-006-${sid(s)}`,
    title: `IAM access key or other long-lived credential added to a phantom user (${s.phantomUserPrefix}*)`,
    severity: 'HIGH',
    severityRationale:
      'The privilege-escalation path of §1: an access key on the phantom is a persistent credential with the whole managed policy, independent of the API key and not revoked with it.',
    description: `CreateAccessKey, UploadSSHPublicKey or UploadSigningCertificate on an IAM user named ${s.phantomUserPrefix}…. Phantoms never need them. Attempts that failed match too: they show intent.`,
    remediation:
      'Deactivate the key now (`bks revoke-key USER`), find who created it (`bks timeline`), then delete the phantom when its API key is unused.',
    attack: { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials' },
    tags: ['persistence', 'privilege-escalation', 'credential-creation'],
    kind: 'pattern',
    service: s.id,
    pattern: cloudTrail(iamSource, {
      eventSource: [IAM_EVENT_SOURCE],
      eventName: ['CreateAccessKey', ...PHANTOM_OTHER_CREDENTIAL_EVENTS],
      requestParameters: { userName: [{ prefix: s.phantomUserPrefix }] },
    }),
    samples: {
      match: [
        fileOrTranslated(s, FILE.accessKey, readTemplate('accessKey')),
        onUser(
          'CreateAccessKey',
          phantomUser,
          {},
          { userIdentity: phantom(s), errorCode: 'AccessDenied', errorMessage: 'denied' },
        ),
        onUser(
          'UploadSSHPublicKey',
          phantomUser,
          { sSHPublicKeyBody: 'ssh-ed25519 AAAA' },
          { userIdentity: federated() },
        ),
      ],
      noMatch: [
        onUser('CreateAccessKey', 'dev-bob'),
        iam('CreateAccessKey', { requestParameters: null, userIdentity: phantom(s) }),
        onUser('DeleteAccessKey', phantomUser, { accessKeyId: 'AKIAEXAMPLENEWKEY001' }),
        onUser('ListAccessKeys', phantomUser),
      ],
    },
  };
}

function serviceRule007({ s, phantomUser }: ServiceRuleContext): Draft {
  return {
    id: `BKS-007-${sid(s)}`,
    title: `Console password set on a phantom user (${s.phantomUserPrefix}*)`,
    severity: 'HIGH',
    severityRationale:
      'A login profile turns the phantom into a console identity that outlives its key; phantoms never sign in.',
    description: `CreateLoginProfile or UpdateLoginProfile on an IAM user named ${s.phantomUserPrefix}….`,
    remediation:
      'Delete the login profile, review sign-ins (`bks timeline USER`), and remove the phantom when unused.',
    attack: { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials' },
    tags: ['persistence', 'credential-creation'],
    kind: 'pattern',
    service: s.id,
    pattern: cloudTrail(iamSource, {
      eventSource: [IAM_EVENT_SOURCE],
      eventName: [...PHANTOM_LOGIN_EVENTS],
      requestParameters: { userName: [{ prefix: s.phantomUserPrefix }] },
    }),
    samples: {
      match: [
        onUser('CreateLoginProfile', phantomUser, { passwordResetRequired: false }),
        onUser('UpdateLoginProfile', phantomUser, {}, { userIdentity: root() }),
      ],
      noMatch: [
        onUser('CreateLoginProfile', 'dev-bob'),
        onUser('DeleteLoginProfile', phantomUser),
        iam('UpdateLoginProfile', { requestParameters: null }),
      ],
    },
  };
}

function serviceRule008({ s, phantomUser }: ServiceRuleContext): Draft {
  return {
    id: `BKS-008-${sid(s)}`,
    title: `MFA device registered on a phantom user (${s.phantomUserPrefix}*)`,
    severity: 'MEDIUM',
    severityRationale:
      'An attacker-held MFA device makes a stolen console identity on the phantom durable; needs a password too, so below BKS-007.',
    description: `EnableMFADevice, ResyncMFADevice or DeactivateMFADevice on an IAM user named ${s.phantomUserPrefix}….`,
    remediation:
      'Deactivate and delete the device; check for a login profile (BKS-007) and access keys (BKS-006).',
    attack: { id: 'T1098.005', name: 'Account Manipulation: Device Registration' },
    tags: ['persistence'],
    kind: 'pattern',
    service: s.id,
    pattern: cloudTrail(iamSource, {
      eventSource: [IAM_EVENT_SOURCE],
      eventName: [...PHANTOM_MFA_EVENTS],
      requestParameters: { userName: [{ prefix: s.phantomUserPrefix }] },
    }),
    samples: {
      match: [onUser('EnableMFADevice', phantomUser, { serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/x` })],
      noMatch: [
        onUser('EnableMFADevice', 'dev-bob'),
        iam('CreateVirtualMFADevice', { requestParameters: { virtualMFADeviceName: phantomUser } }),
      ],
    },
  };
}

function serviceRule009({ s, phantomUser }: ServiceRuleContext): Draft {
  return {
    id: `BKS-009-${sid(s)}`,
    title: `Permissions widened on a phantom user (${s.phantomUserPrefix}*)`,
    severity: 'HIGH',
    severityRationale:
      'Any policy, group or boundary change beyond the managed policy turns a leaked API key into a broader foothold.',
    description: `AddUserToGroup, PutUserPolicy, DeleteUserPermissionsBoundary, or AttachUserPolicy of any policy other than ${s.managedPolicyName}, on an IAM user named ${s.phantomUserPrefix}….`,
    remediation:
      "Remove the added permissions, find the actor (`bks timeline`), revoke the phantom's keys if the change was not sanctioned.",
    attack: { id: 'T1098.003', name: 'Account Manipulation: Additional Cloud Roles' },
    tags: ['privilege-escalation', 'persistence'],
    kind: 'pattern',
    service: s.id,
    pattern: cloudTrail(iamSource, {
      eventSource: [IAM_EVENT_SOURCE],
      requestParameters: { userName: [{ prefix: s.phantomUserPrefix }] },
      $or: [
        { eventName: PHANTOM_ESCALATION_EVENTS.filter((e) => e !== 'AttachUserPolicy') },
        {
          eventName: ['AttachUserPolicy'],
          requestParameters: { policyArn: [{ 'anything-but': { wildcard: policyWildcard(s) } }] },
        },
      ],
    }),
    samples: {
      match: [
        onUser('AttachUserPolicy', phantomUser, {
          policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        }),
        onUser('AddUserToGroup', phantomUser, { groupName: 'admins' }, { userIdentity: phantom(s) }),
        onUser('PutUserPolicy', phantomUser, { policyName: 'x', policyDocument: '{}' }),
        onUser('AttachUserPolicy', phantomUser, {
          policyArn: `arn:aws:iam::${ACCOUNT}:policy/${s.managedPolicyName}`,
        }),
      ],
      noMatch: [
        fileOrTranslated(s, FILE.attach, readTemplate('attach')),
        onUser('AttachUserPolicy', phantomUser, {
          policyArn: `arn:aws-us-gov:iam::aws:policy/${s.managedPolicyName}`,
        }),
        onUser('AddUserToGroup', 'dev-bob', { groupName: 'admins' }),
        onUser('RemoveUserFromGroup', phantomUser, { groupName: 'admins' }),
      ],
    },
  };
}

function serviceRule010({ s }: ServiceRuleContext): Draft {
  return {
    id: `BKS-010-${sid(s)}`,
    title: `${s.displayName} API key used (bearer token)`,
    severity: 'LOW',
    severityRationale:
      'Shows where keys are in use (and by whom); normal for sanctioned keys, the basis for the higher-severity rules and stateful counters.',
    description: `A call on ${s.eventSources.join(' or ')} authenticated with an API key: callWithBearerToken is true (boolean or the string "true") in additionalEventData or requestParameters.`,
    remediation:
      "Check the principal and source IP against the key's expected use; revoke with `bks revoke-key` if unknown.",
    attack: { id: 'T1550.001', name: 'Use Alternate Authentication Material: Application Access Token' },
    tags: ['invoke'],
    kind: 'pattern',
    service: s.id,
    pattern: cloudTrail(s.eventSources.map(eventBridgeSource), {
      eventSource: [...s.eventSources],
      $or: keyPrincipal([]).slice(0, 2),
    }),
    samples: {
      match: [
        fileOrTranslated(s, FILE.invokeLongTerm, readTemplate('invokeLongTerm')),
        fileOrTranslated(s, FILE.mantle, readTemplate('mantle')),
        keyCall(s, 'Converse', shortTermSigner(), 'additionalEventData', 'true'),
        keyCall(s, 'ListModels', phantom(s), 'requestParameters', 'true'),
      ],
      noMatch: [
        fileOrTranslated(s, FILE.benignInvoke, readTemplate('benignInvoke')),
        keyCall(s, 'InvokeModel', admin(), 'additionalEventData', false),
        keyCall(s, 'InvokeModel', admin(), 'additionalEventData', 'false'),
        keyCall(s, 'InvokeModel', admin(), 'none', undefined, {
          additionalEventData: null,
          requestParameters: null,
        }),
        ...SERVICES.filter((o) => o !== s).map((o) =>
          keyCall(o, 'InvokeModel', phantom(o), 'additionalEventData', true),
        ),
      ],
    },
  };
}

function serviceRule016({ s, phantomUser }: ServiceRuleContext): Draft {
  return {
    id: `BKS-016-${sid(s)}`,
    title: `Phantom user (${s.phantomUserPrefix}*) calling a service outside its namespaces (pivot)`,
    severity: 'HIGH',
    severityRationale:
      'A phantom exists only to hold an API key for its service; a call anywhere else (STS, IAM, EC2, S3, sign-in) means its credentials are used by a person or a tool exploring the account.',
    description: `The caller is the IAM user ${s.phantomUserPrefix}… and the event source is not one of ${s.eventSources.join(', ')}. Failed calls match too (AccessDenied probing is the usual first step).`,
    remediation:
      "Treat the phantom's credentials as compromised: `bks revoke-key USER --all-keys`, then review its timeline in every region.",
    attack: { id: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' },
    tags: ['discovery', 'lateral-movement'],
    kind: 'pattern',
    service: s.id,
    pattern: {
      // Only AWS services' events: a member account may forward its own custom events (any
      // source, any detail) through a rule to the central bus.
      source: [{ prefix: 'aws.' }],
      'detail-type': [...new Set(Object.values(DETAIL_TYPES))],
      detail: {
        userIdentity: { type: ['IAMUser'], userName: [{ prefix: s.phantomUserPrefix }] },
        eventSource: [{ 'anything-but': [...s.eventSources] }],
      },
    },
    samples: {
      match: [
        record({
          eventSource: 'sts.amazonaws.com',
          eventName: 'GetCallerIdentity',
          userIdentity: phantom(s),
          readOnly: true,
        }),
        record({
          eventSource: 'iam.amazonaws.com',
          eventName: 'ListRoles',
          userIdentity: phantom(s),
          readOnly: true,
          awsRegion: 'us-east-1',
        }),
        record({
          eventSource: 's3.amazonaws.com',
          eventName: 'ListBuckets',
          userIdentity: phantom(s),
          errorCode: 'AccessDenied',
        }),
        record({
          eventSource: 'signin.amazonaws.com',
          eventName: 'ConsoleLogin',
          eventType: 'AwsConsoleSignIn',
          userIdentity: phantom(s),
        }),
      ],
      noMatch: [
        fileOrTranslated(s, FILE.invokeLongTerm, readTemplate('invokeLongTerm')),
        fileOrTranslated(s, FILE.mantle, readTemplate('mantle')),
        record({
          eventSource: 'sts.amazonaws.com',
          eventName: 'GetCallerIdentity',
          userIdentity: iamUser('dev-bob'),
        }),
        record({
          eventSource: 'sts.amazonaws.com',
          eventName: 'GetCallerIdentity',
          userIdentity: { ...admin(), userName: phantomUser },
        }),
        record({
          eventSource: 'kms.amazonaws.com',
          eventName: 'Decrypt',
          userIdentity: awsService(s.eventSources[0] as string),
        }),
        // A custom event dressed as CloudTrail, put by an application (not an AWS service).
        forgedEnvelope(
          record({
            eventSource: 'sts.amazonaws.com',
            eventName: 'GetCallerIdentity',
            userIdentity: phantom(s),
          }),
        ),
      ],
    },
  };
}

const PER_SERVICE_RULES = [
  serviceRule001,
  serviceRule002,
  serviceRule003,
  serviceRule004,
  serviceRule005,
  serviceRule006,
  serviceRule007,
  serviceRule008,
  serviceRule009,
  serviceRule010,
  serviceRule016,
];

/** The rules that span services: one builder per rule, each given the shared helpers. */
function crossService(): Draft[] {
  const c = crossServiceContext();
  return CROSS_SERVICE_RULES.map((rule) => rule(c));
}

type CrossServiceContext = ReturnType<typeof crossServiceContext>;

/** What the cross-service rules share: the services, a phantom, the Bedrock pattern and samples. */
function crossServiceContext() {
  const services = SERVICES;
  const phantomTemplate = phantom(TEMPLATE);
  const bedrockPattern = (events: readonly string[]) =>
    cloudTrail(eventBridgeSource(BEDROCK_SOURCE), {
      eventSource: [BEDROCK_SOURCE],
      eventName: [...events],
      $or: keyPrincipal(services),
    });
  const principals =
    'an API key (bearer-token flag, boolean or "true") or a phantom user of any key-bearing service';
  const samplesFor = (events: readonly string[]): RuleFile['samples'] => ({
    match: [
      bedrockCall(events[0] as string, phantomTemplate, true),
      bedrockCall(events[events.length - 1] as string, shortTermSigner(), 'true', { awsRegion: 'eu-west-1' }),
      ...services.slice(1).map((o) => bedrockCall(events[0] as string, phantom(o), undefined)),
      bedrockCall(events[0] as string, phantomTemplate, undefined, { errorCode: 'AccessDeniedException' }),
    ],
    noMatch: [
      bedrockCall(events[0] as string, admin(), undefined),
      bedrockCall(events[0] as string, admin(), false),
      bedrockCall(events[0] as string, iamUser('dev-bob'), undefined, { additionalEventData: null }),
      bedrockCall('InvokeModel', phantomTemplate, true),
    ],
  });
  return { services, phantomTemplate, bedrockPattern, principals, samplesFor };
}

/**
 * The rules on Bedrock control-plane calls made with an API key, as data: one row per rule, the
 * events it selects; `bedrockKeyRule` gives each the same pattern (those events, by a key principal)
 * and the same samples.
 */
const BEDROCK_KEY_RULES: readonly (Omit<Draft, 'kind' | 'service' | 'pattern' | 'samples' | 'description'> & {
  events: readonly string[];
  /** The description without its closing words ("… by <key principals>."). */
  what: string;
})[] = [
  {
    id: 'BKS-011',
    title: 'LLMjacking reconnaissance with an API key',
    severity: 'MEDIUM',
    severityRationale:
      'Model availability, use-case and logging-configuration reads from a key are the first step of LLMjacking, but also what SDKs and tools do on start-up; a lead to check, not proof.',
    what: `${RECON_EVENTS.join(', ')} on Bedrock`,
    remediation:
      "Check the source IP and user agent against the key's expected use; if unknown, revoke the key and review its timeline.",
    attack: { id: 'T1526', name: 'Cloud Service Discovery' },
    tags: ['recon', 'discovery'],
    events: RECON_EVENTS,
  },
  {
    id: 'BKS-012',
    title: 'Model access enabled with an API key',
    severity: 'HIGH',
    severityRationale:
      'Submitting a use case, entitlement or marketplace agreement from a key unlocks expensive models for the attacker; legitimate teams do this once, from the console, as admins.',
    what: `${MODEL_ACCESS_EVENTS.join(', ')} on Bedrock`,
    remediation:
      'Revoke the key, review which models were enabled and remove agreements that were not intended.',
    attack: { id: 'T1496.004', name: 'Resource Hijacking: Cloud Service Hijacking' },
    tags: ['recon', 'impact'],
    events: MODEL_ACCESS_EVENTS,
  },
  {
    id: 'BKS-013',
    title: 'Model invocation logging changed with an API key',
    severity: 'HIGH',
    severityRationale:
      'Turning off or redirecting invocation logging hides prompts and responses from the owner; no workload needs to do this with a key.',
    what: 'PutModelInvocationLoggingConfiguration or DeleteModelInvocationLoggingConfiguration',
    remediation:
      'Restore the logging configuration, revoke the key, and review what was invoked while logging was off.',
    attack: { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' },
    tags: ['defense-evasion'],
    events: BEDROCK_EVASION_EVENTS.filter((e) => e.includes('Logging')),
  },
  {
    id: 'BKS-014',
    title: 'Guardrail deleted or changed with an API key',
    severity: 'HIGH',
    severityRationale:
      'Removing or weakening a guardrail from a key disables content controls for everyone using it; an attacker preparing abuse does this.',
    what: 'DeleteGuardrail or UpdateGuardrail',
    remediation:
      'Restore the guardrail version, revoke the key, and review the invocations since the change.',
    attack: { id: 'T1562', name: 'Impair Defenses' },
    tags: ['defense-evasion'],
    events: BEDROCK_EVASION_EVENTS.filter((e) => e.includes('Guardrail')),
  },
  {
    id: 'BKS-015',
    title: 'Cost bomb started with an API key (provisioned throughput, batch or customization job)',
    severity: 'HIGH',
    severityRationale:
      'Provisioned throughput and customization jobs cost thousands per day and run unattended; nobody watches them the way they watch invocations.',
    what: COST_BOMB_EVENTS.join(', '),
    remediation: 'Stop or delete the job / provisioned throughput now, revoke the key, and check the bill.',
    attack: { id: 'T1496.004', name: 'Resource Hijacking: Cloud Service Hijacking' },
    tags: ['cost', 'impact'],
    events: COST_BOMB_EVENTS,
  },
];

/** One row of `BEDROCK_KEY_RULES` as a rule: its events on Bedrock, by a key principal of any service. */
function bedrockKeyRule(
  { events, what, ...row }: (typeof BEDROCK_KEY_RULES)[number],
  { bedrockPattern, principals, samplesFor }: CrossServiceContext,
): Draft {
  return {
    ...row,
    description: `${what} by ${principals}.`,
    kind: 'pattern',
    service: null,
    pattern: bedrockPattern(events),
    samples: samplesFor(events),
  };
}

function rule017({ services, phantomTemplate }: CrossServiceContext): Draft {
  return {
    id: 'BKS-017',
    title: `High invocation volume by one key principal (≥ ${VOLUME_THRESHOLD} calls in ${VOLUME_WINDOW_SECONDS / 60} min)`,
    severity: 'HIGH',
    severityRationale:
      'A burst of invocations from one key is the signature of LLMjacking resale or a runaway script; either way it is money.',
    description: `Counts model invocations (${INVOKE_EVENTS.slice(0, 4).join(', ')}, …) made with an API key or by a phantom user, per principal, in a sliding window; fires once per window when the count reaches the threshold.`,
    remediation:
      'Identify the principal and source IPs; revoke the key if the volume is not expected; set a budget alarm.',
    attack: { id: 'T1496.004', name: 'Resource Hijacking: Cloud Service Hijacking' },
    tags: ['invoke', 'cost', 'impact'],
    kind: 'stateful',
    service: null,
    limitations:
      'A count over time cannot be an EventBridge pattern: the pattern selects the events, src/detect/stateful.ts counts them per principal (thresholds are per-run settings).',
    pattern: cloudTrail(keyEventSources().map(eventBridgeSource), {
      eventSource: keyEventSources(),
      eventName: [...INVOKE_EVENTS],
      $or: keyPrincipal(services),
    }),
    stateful: { type: 'count', threshold: VOLUME_THRESHOLD, windowSeconds: VOLUME_WINDOW_SECONDS },
    samples: {
      match: [ref(FILE.invokeLongTerm), ref(FILE.mantle), bedrockCall('Converse', shortTermSigner(), 'true')],
      noMatch: [ref(FILE.benignInvoke), bedrockCall('ListFoundationModels', phantomTemplate, true)],
    },
  };
}

function rule018({ services }: CrossServiceContext): Draft {
  return {
    id: 'BKS-018',
    title: `Same key principal in ${REGIONS_THRESHOLD}+ regions within ${REGIONS_WINDOW_SECONDS / 60} minutes`,
    severity: 'HIGH',
    severityRationale:
      'Workloads pin a region; a key that hops regions in minutes is being tested for quota or model availability — typical LLMjacking behaviour.',
    description:
      'Counts the distinct AWS regions in which one API-key principal (bearer flag or phantom user) calls a key-bearing service, in a sliding window; fires once per window when the count reaches the threshold.',
    remediation:
      'Revoke the key (`bks revoke-key`), review `bks timeline KEY --regions all`, and restrict regions with an SCP.',
    attack: { id: 'T1535', name: 'Unused/Unsupported Cloud Regions' },
    tags: ['recon', 'invoke'],
    kind: 'stateful',
    service: null,
    limitations:
      'Distinct regions over time cannot be an EventBridge pattern: the pattern selects the events, src/detect/stateful.ts tracks regions per principal.',
    pattern: cloudTrail(keyEventSources().map(eventBridgeSource), {
      eventSource: keyEventSources(),
      $or: keyPrincipal(services),
    }),
    stateful: {
      type: 'distinct-regions',
      threshold: REGIONS_THRESHOLD,
      windowSeconds: REGIONS_WINDOW_SECONDS,
    },
    samples: {
      match: [
        ref(FILE.invokeLongTerm),
        ref(FILE.mantle),
        bedrockCall('ListFoundationModels', shortTermSigner(), true),
      ],
      noMatch: [ref(FILE.benignInvoke), ref(FILE.accessKey)],
    },
  };
}

/**
 * GuardDuty AI Protection finding types (GuardDuty user guide, "GuardDuty AI Protection finding
 * types"): the model-invocation findings name the IAM identity (resource type AccessKey).
 */
export const GUARDDUTY_AI_FINDING_TYPES = [
  'Impact:IAMUser/AnomalousModelInvocation',
  'Impact:IAMUser/CostHarvesting',
  'Impact:IAMUser/PromptInjection.Direct',
] as const;

/** A GuardDuty finding as EventBridge delivers it ("GuardDuty Finding"), naming one access key. */
function guardDutyEnvelope(type: string, user: string, userType = 'IAMUser'): CloudTrailRecord {
  const id = createHash('sha1').update(`${type}|${user}`).digest('hex').slice(0, 32);
  return {
    version: '0',
    id: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: ACCOUNT,
    time: '2026-11-09T03:10:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      schemaVersion: '2.0',
      accountId: ACCOUNT,
      region: 'us-east-1',
      partition: 'aws',
      id,
      arn: `arn:aws:guardduty:us-east-1:${ACCOUNT}:detector/00aa11bb22cc33dd44ee55ff66aa77bb/finding/${id}`,
      type,
      resource: {
        resourceType: 'AccessKey',
        accessKeyDetails: {
          accessKeyId: userType === 'IAMUser' ? 'AKIAEXAMPLEGDKEY0001' : 'ASIAEXAMPLEGDKEY0001',
          principalId: userType === 'IAMUser' ? 'AIDAEXAMPLEGDUSER001' : 'AROAEXAMPLEGDROLE001:session',
          userName: user,
          userType,
        },
      },
      severity: 5,
      createdAt: '2026-11-09T03:05:00.000Z',
      updatedAt: '2026-11-09T03:09:00.000Z',
      title: `GuardDuty ${type}`,
      description: 'Sample finding.',
    },
  } as unknown as CloudTrailRecord;
}

function rule019({ services }: CrossServiceContext): Draft {
  const phantomUser = `${services[0]!.phantomUserPrefix}q7xk`;
  return {
    id: 'BKS-019',
    title:
      'GuardDuty AI Protection finding on a model caller (anomalous invocation, cost harvesting, prompt injection)',
    severity: 'HIGH',
    severityRationale:
      "GuardDuty's model-invocation findings say an identity's Bedrock use departs from its baseline or harvests cost: LLMjacking with a leaked key is the usual cause.",
    description: `A GuardDuty finding of type ${GUARDDUTY_AI_FINDING_TYPES.join(', ')}. The pipeline correlates it with the key or phantom user it names: on a phantom user it joins that user's bearer-use incident (BKS-010 of the service), so one incident and one finding result.`,
    remediation:
      "Review the finding in GuardDuty and the key's timeline (bks timeline), then revoke it (bks revoke-key) if the use is not yours.",
    attack: { id: 'T1496.004', name: 'Resource Hijacking: Cloud Service Hijacking' },
    tags: ['impact', 'invoke'],
    kind: 'pattern',
    service: null,
    pattern: {
      source: ['aws.guardduty'],
      'detail-type': ['GuardDuty Finding'],
      detail: { type: [...GUARDDUTY_AI_FINDING_TYPES] },
    },
    samples: {
      match: [
        guardDutyEnvelope('Impact:IAMUser/AnomalousModelInvocation', phantomUser),
        guardDutyEnvelope('Impact:IAMUser/CostHarvesting', 'ml-app', 'AssumedRole'),
      ],
      noMatch: [
        guardDutyEnvelope('UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B', phantomUser),
        guardDutyEnvelope('Impact:IAMUser/AnomalousBehavior', phantomUser),
      ],
    },
  };
}

const CROSS_SERVICE_RULES = [
  ...BEDROCK_KEY_RULES.map((row) => (c: CrossServiceContext) => bedrockKeyRule(row, c)),
  rule017,
  rule018,
  rule019,
];

// The template records the translated samples start from (the same content as the sample files).
const TEMPLATES = {
  attach: attachJson,
  createKey: createKeyJson,
  createPhantom: createPhantomJson,
  accessKey: accessKeyJson,
  invokeLongTerm: invokeLongTermJson,
  mantle: mantleJson,
  benignInvoke: benignInvokeJson,
} as Record<string, CloudTrailRecord>;

function readTemplate(name: keyof typeof FILE): CloudTrailRecord {
  const t = TEMPLATES[name];
  if (!t) throw new Error(`no template sample ${name}`);
  return structuredClone(t);
}

/** The whole rule set as rule files (deterministic: same input, same output). */
export function buildRuleSet(): RuleFile[] {
  counter = 0;
  const drafts = [...SERVICES.flatMap(perService), ...crossService()];
  return drafts
    .map((d) => ({ ...d, deploy: deployOf(d.pattern) }) as RuleFile)
    .map(orderKeys)
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Stable key order in the written files. */
function orderKeys(r: RuleFile): RuleFile {
  const {
    id,
    title,
    severity,
    severityRationale,
    description,
    remediation,
    attack,
    tags,
    kind,
    service,
    deploy,
    limitations,
    pattern,
    stateful,
    samples,
  } = r;
  return {
    id,
    title,
    severity,
    severityRationale,
    description,
    remediation,
    attack,
    tags,
    kind,
    service,
    deploy,
    ...(limitations ? { limitations } : {}),
    pattern,
    ...(stateful ? { stateful } : {}),
    samples,
  };
}

/** The file name of a rule. */
export const ruleFileName = (id: string) => `${id}.json`;

/** The JSON text of a rule file as written to detections/. */
export function ruleFileText(rule: RuleFile): string {
  return `${JSON.stringify({ $schema: './rule.schema.json', ...rule }, null, 2)}\n`;
}

/**
 * The rule set without reading files (for the pipeline's Lambda bundle): the rules as built from
 * `SERVICES`, their patterns checked, with samples left out (a test proves them equal to the files of
 * detections/, which the rule schema validates). Same ids, patterns and settings as detections/.
 */
export function bundledRules(): Rule[] {
  return buildRuleSet().map((file) => {
    checkRuleSemantics(file, file.id);
    return { ...file, samples: { match: [], noMatch: [] } };
  });
}
