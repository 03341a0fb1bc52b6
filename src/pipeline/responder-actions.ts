/**
 * The IAM actions of the pipeline's responder roles (deployed in every account by
 * infra/responder-roles.ts, and given to the same roles by the local pipeline in bks-sim): data,
 * so that the CDK template, its tests and the local run share one table.
 */
/** IAM reads of `readUserState` (src/response), used by enrichment and by revocation's planning. */
const USER_READS = [
  'iam:GetUser',
  'iam:ListAccessKeys',
  'iam:ListAttachedUserPolicies',
  'iam:ListServiceSpecificCredentials',
  'iam:ListUserPolicies',
  'iam:GetUserPolicy',
  'iam:ListGroupsForUser',
  'iam:ListUserTags',
  'iam:GetLoginProfile',
  'iam:ListMFADevices',
  'iam:ListSSHPublicKeys',
  'iam:ListSigningCertificates',
  'iam:GetAccessKeyLastUsed',
];

/** The responder roles' sets of actions (below). */
export type ResponderActionSet =
  | 'readerUsers'
  | 'readerAccount'
  | 'revoker'
  | 'revokerPhantomPasswords'
  | 'revokerRoles'
  | 'revokerAccount'
  | 'findings';

/** IAM actions each role allows, kept here so the tests compare the template with this table. */
export const RESPONDER_ACTIONS: Readonly<Record<ResponderActionSet, readonly string[]>> = {
  readerUsers: USER_READS,
  readerAccount: [
    'cloudtrail:LookupEvents',
    'iam:GetAccountAuthorizationDetails',
    'iam:ListUsers',
    'iam:GenerateCredentialReport',
    'iam:GetCredentialReport',
    'iam:ListServiceSpecificCredentials',
  ],
  /** Deactivation and deny policies (the one Delete is below, on phantom-named users only). */
  revoker: [...USER_READS, 'iam:UpdateServiceSpecificCredential', 'iam:UpdateAccessKey', 'iam:PutUserPolicy'],
  /**
   * Its one Delete: a phantom's console password (revoke-key's plan removes it; a password cannot
   * be deactivated), on phantom-named users only (`user/BedrockAPIKey-*`, `user/AeaApiKey-*`).
   */
  revokerPhantomPasswords: ['iam:DeleteLoginProfile'],
  /** Short-term keys: the signer role gets a deny on tokens issued before now. */
  revokerRoles: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:PutRolePolicy'],
  /** Finding the signer of a short-term key in CloudTrail (no resource-level permissions). */
  revokerAccount: ['cloudtrail:LookupEvents'],
  findings: ['securityhub:BatchImportFindings', 'securityhub:BatchUpdateFindings', 'securityhub:GetFindings'],
} as const;
