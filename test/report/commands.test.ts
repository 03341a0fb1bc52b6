/**
 * The incident report's first steps follow the state the report read: a key that is already out of
 * use gets no revoke step of its own, and a phantom's live access key or password still gets one.
 */
import { describe, expect, it } from 'vitest';
import { containmentCommands, type IncidentReport } from '../../src/report/incident';
import type { UserState } from '../../src/response/user-state';

const USER = 'BedrockAPIKey-t3st';
const ALIAS = `${USER}-at-222222222222`;

function state(over: Partial<UserState> & { phantomOf?: string[] } = {}): IncidentReport['user'] {
  return {
    userName: USER,
    userId: 'AIDAEXAMPLEUSERID0001',
    arn: `arn:aws:iam::222222222222:user/${USER}`,
    path: '/',
    tags: [],
    credentials: [
      { id: 'ACCAEXAMPLELEAKED001', serviceName: 'bedrock.amazonaws.com', alias: ALIAS, status: 'Active' },
      {
        id: 'ACCAEXAMPLESIBLING01',
        serviceName: 'bedrock.amazonaws.com',
        alias: `${ALIAS}-2`,
        status: 'Active',
      },
    ],
    accessKeys: [],
    attachedPolicies: [],
    inlinePolicies: [],
    groups: [],
    loginProfile: false,
    mfaDevices: [],
    sshPublicKeys: [],
    signingCertificates: [],
    phantomOf: ['bedrock'],
    ...over,
  };
}

const target = { kind: 'long-term-key' as const, label: ALIAS, userName: USER, accessKeyIds: [], notes: [] };
const commands = (user: IncidentReport['user'], accessKeys: IncidentReport['accessKeys'] = []) =>
  containmentCommands({ target, user, accessKeys }).map((c) => c.command);

describe('first steps of the incident report', () => {
  it('offers the targeted revoke while the leaked key is Active', () => {
    const cmds = commands(state());
    expect(cmds[0]).toBe('bks revoke-key "$LEAKED_KEY"');
    expect(cmds).toContain('bks revoke-key "$LEAKED_KEY" --all-keys');
  });

  it('offers no revoke of the key once it is Inactive, only --all-keys while a sibling is Active', () => {
    const u = state();
    if (u?.credentials[0]) u.credentials[0].status = 'Inactive';
    const cmds = commands(u);
    expect(cmds).not.toContain('bks revoke-key "$LEAKED_KEY"');
    expect(cmds[0]).toBe('bks revoke-key "$LEAKED_KEY" --all-keys');
  });

  it('offers no revoke at all when every key is out of use and the phantom holds nothing else', () => {
    const u = state();
    for (const c of u?.credentials ?? []) c.status = 'Inactive';
    const cmds = commands(u, [{ id: 'AKIAEXAMPLEPHANTOM01', status: 'Inactive' }]);
    expect(cmds.filter((c) => c.startsWith('bks revoke-key'))).toEqual([]);
    expect(cmds[0]).toMatch(/^bks restore /);
  });

  it('still offers the revoke when the key is out of use but the phantom has a live access key or password', () => {
    const u = state();
    for (const c of u?.credentials ?? []) c.status = 'Inactive';
    const viaAccessKey = containmentCommands({
      target,
      user: u,
      accessKeys: [{ id: 'AKIAEXAMPLEPHANTOM01', status: 'Active' }],
    });
    expect(viaAccessKey[0]?.command).toBe('bks revoke-key "$LEAKED_KEY"');
    expect(viaAccessKey[0]?.purpose).toMatch(/already out of use/);
    expect(commands(state({ ...u, loginProfile: true }))[0]).toBe('bks revoke-key "$LEAKED_KEY"');
  });

  it('offers no revoke when the user no longer exists (its keys cannot authenticate)', () => {
    expect(commands(undefined).filter((c) => c.startsWith('bks revoke-key'))).toEqual([]);
  });
});
