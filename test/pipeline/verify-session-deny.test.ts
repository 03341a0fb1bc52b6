/**
 * A short-term key's revocation is verified by reading the signer's deny policy back (issue: the
 * finding must never say "verified" for something not checked).
 */
import { describe, expect, it } from 'vitest';
import type { AwsContext } from '../../src/aws';
import { verifySessionDeny } from '../../src/pipeline/respond';
import { denySessionsBeforePolicy } from '../../src/response/policies';

function awsReading(document: string | undefined, calls: string[]): AwsContext {
  return {
    iam: () => ({
      send: async (cmd: { constructor: { name: string }; input: Record<string, string> }) => {
        calls.push(`${cmd.constructor.name}:${cmd.input['RoleName'] ?? cmd.input['UserName']}`);
        return { PolicyDocument: document === undefined ? undefined : encodeURIComponent(document) };
      },
    }),
  } as unknown as AwsContext;
}

const put = (cutoff: string) => ({
  action: 'PutRolePolicy',
  params: {
    RoleName: 'ml-app',
    PolicyName: 'bks-revoke-sessions',
    PolicyDocument: denySessionsBeforePolicy(cutoff),
  },
});
const ISSUED = '2026-12-07T05:00:00Z';

describe('verifySessionDeny', () => {
  it('reads the policy back and accepts a cut-off after the key was issued', async () => {
    const calls: string[] = [];
    const aws = awsReading(denySessionsBeforePolicy('2026-12-07T06:00:01Z'), calls);
    expect(await verifySessionDeny(aws, [put('2026-12-07T06:00:01Z')], ISSUED)).toBe(true);
    expect(calls).toEqual(['GetRolePolicyCommand:ml-app']);
  });

  it('throws when the policy reads back missing or with a cut-off that does not cover the key', async () => {
    await expect(
      verifySessionDeny(awsReading(undefined, []), [put('2026-12-07T06:00:01Z')], ISSUED),
    ).rejects.toThrow(/not verified/);
    await expect(
      verifySessionDeny(awsReading(denySessionsBeforePolicy('2026-12-07T04:00:00Z'), []), [put('x')], ISSUED),
    ).rejects.toThrow(/not verified/);
  });

  it('says unverified (false), not verified, when the plan wrote nothing to read back', async () => {
    const calls: string[] = [];
    expect(await verifySessionDeny(awsReading(undefined, calls), [], ISSUED)).toBe(false);
    expect(calls).toEqual([]);
  });
});
