/**
 * src/keys against AWS's own short-term key generator (`@aws/bedrock-token-generator`): keys made
 * by the official presigner, from AWS's example credentials, decode with every field right. The
 * expected values come from the generator's inputs and from published facts (the account of the
 * example ASIA key id), not from the project's encoder. The project's own encoder
 * (`buildShortTermKey`) stays only in the property tests that need shapes no signer makes.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeKey, type ShortTermKey } from '../../src/keys';
import {
  EXAMPLE_SESSION_CREDENTIALS,
  EXAMPLE_USER_CREDENTIALS,
  generatedShortTermKey,
} from '../helpers/bedrock-token';

/**
 * The account in an access key id, computed here from the published method (base32 of characters
 * 5..20, first 6 bytes, `(v & 0x7fffffffff80) >> 7`), independently of src/keys.
 */
function accountOf(accessKeyId: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of accessKeyId.slice(4)) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const v = BigInt(`0b${bits.slice(0, 48)}`);
  return ((v & 0x7fffffffff80n) >> 7n).toString().padStart(12, '0');
}

describe('short-term keys from @aws/bedrock-token-generator', () => {
  const issued = new Date('2026-11-20T12:00:00Z');

  it('the independent account computation agrees with the published example', () => {
    expect(accountOf(EXAMPLE_SESSION_CREDENTIALS.accessKeyId)).toBe('029608264753');
  });

  const cases = [
    {
      name: 'session credentials (ASIA + token), 15 minutes',
      creds: EXAMPLE_SESSION_CREDENTIALS,
      region: 'eu-west-1',
      expires: 900,
      partition: 'aws',
    },
    {
      name: 'a user access key (AKIA), default 12 h',
      creds: EXAMPLE_USER_CREDENTIALS,
      region: 'us-east-1',
      expires: undefined,
      partition: 'aws',
    },
    {
      name: 'GovCloud',
      creds: EXAMPLE_SESSION_CREDENTIALS,
      region: 'us-gov-west-1',
      expires: 3600,
      partition: 'aws-us-gov',
    },
    {
      name: 'China',
      creds: EXAMPLE_USER_CREDENTIALS,
      region: 'cn-northwest-1',
      expires: 43200,
      partition: 'aws-cn',
    },
  ];
  for (const c of cases) {
    it(`decodes every field: ${c.name}`, async () => {
      const key = await generatedShortTermKey(c.creds, c.region, issued, c.expires);
      const lifetime = c.expires ?? 43200;
      const now = new Date(issued.getTime() + 60_000);
      const expiresAt = new Date(issued.getTime() + lifetime * 1000);
      expect(decodeKey(key, { now })).toEqual({
        service: 'bedrock',
        kind: 'short-term',
        accountId: accountOf(c.creds.accessKeyId),
        accessKeyId: c.creds.accessKeyId,
        accessKeyType: c.creds.accessKeyId.slice(0, 4),
        region: c.region,
        partition: c.partition,
        signingService: 'bedrock',
        issuedAt: '2026-11-20T12:00:00Z',
        expiresAt: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        expiresInSeconds: lifetime - 60,
        expired: false,
        hasSecurityToken: c.creds.sessionToken !== undefined,
        // The fingerprint is of the decoded presigned URL (the bearer secret is the URL itself).
        secretSha256: createHash('sha256')
          .update(Buffer.from(key.slice('bedrock-api-key-'.length), 'base64'))
          .digest('hex'),
      });
      // Expiry is exactly X-Amz-Date + X-Amz-Expires.
      expect((decodeKey(key, { now: expiresAt }) as ShortTermKey).expired).toBe(true);
      expect((decodeKey(key, { now: new Date(expiresAt.getTime() - 1000) }) as ShortTermKey).expired).toBe(
        false,
      );
    });
  }

  it('decodes the key however it is pasted (Bearer header, environment variable)', async () => {
    const key = await generatedShortTermKey(EXAMPLE_SESSION_CREDENTIALS, 'us-west-2', issued, 600);
    const plain = decodeKey(key, { now: issued });
    expect(decodeKey(`Authorization: Bearer ${key}`, { now: issued })).toEqual(plain);
    expect(decodeKey(`export AWS_BEARER_TOKEN_BEDROCK="${key}"`, { now: issued })).toEqual(plain);
  });
});
