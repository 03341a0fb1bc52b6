import type { UserState } from '../../src/response/user-state';

export const ACCOUNT = '123456789012';

/** A phantom user state with two bedrock credentials and one access key, overridable. */
export function userState(name: string, over: Partial<UserState> = {}): UserState {
  return {
    userName: name,
    userId: 'AIDAEXAMPLE000000001',
    arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    path: '/',
    createdAt: '2026-01-01T00:00:00.000Z',
    tags: [],
    credentials: [
      {
        id: 'ACCA0000000000000001',
        serviceName: 'bedrock.amazonaws.com',
        alias: `${name}-at-${ACCOUNT}`,
        status: 'Active',
      },
      {
        id: 'ACCA0000000000000002',
        serviceName: 'bedrock.amazonaws.com',
        alias: `${name}+1-at-${ACCOUNT}`,
        status: 'Active',
      },
    ],
    accessKeys: [{ id: 'AKIAEXAMPLE000000001', status: 'Active' }],
    attachedPolicies: [
      { arn: 'arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess', name: 'AmazonBedrockLimitedAccess' },
    ],
    inlinePolicies: [],
    groups: [],
    loginProfile: false,
    mfaDevices: [],
    sshPublicKeys: [],
    signingCertificates: [],
    ...over,
  };
}
