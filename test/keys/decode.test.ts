import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accountFromAccessKeyId,
  buildShortTermKey,
  decodeKey,
  encodeLongTermKey,
  KeyDecodeError,
  longTermAlias,
  secretFingerprint,
} from '../../src/keys';
import { SERVICES } from '../../src/services';
import { accessKeyId, account, region, secret, service, signingTime, userName } from './fixtures';

const bedrock = SERVICES.find((s) => s.id === 'bedrock')!;

/** Decoding never throws anything but KeyDecodeError, whose message holds none of `secret`. */
function decodeOrReason(text: string, secretText?: string): string | undefined {
  try {
    decodeKey(text);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(KeyDecodeError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    if (secretText && secretText.length >= 4) expect(msg).not.toContain(secretText);
    return msg;
  }
}

describe('account id from an access key id', () => {
  it('matches the published check vector', () => {
    expect(accountFromAccessKeyId('ASIAQNZGKIQY56JQ7WML')).toBe('029608264753');
    expect(accountFromAccessKeyId(`AKIA${'QNZGKIQY56JQ7WML'}`)).toBe('029608264753');
  });

  it('refuses what is not an ASIA/AKIA key id', () => {
    expect(accountFromAccessKeyId('AROAQNZGKIQY56JQ7WML')).toBeUndefined();
    expect(accountFromAccessKeyId('ASIAQNZGKIQY56JQ7WM')).toBeUndefined();
    expect(accountFromAccessKeyId('ASIAQNZGKIQY56JQ7WM1')).toBeUndefined();
  });
});

describe('long-term keys', () => {
  it('round-trips user, account, index and secret for every service', () => {
    fc.assert(
      fc.property(
        service,
        userName,
        account,
        fc.integer({ min: 0, max: 1 }),
        secret,
        (svc, user, acct, index, sec) => {
          const key = encodeLongTermKey(svc, longTermAlias(user, acct, index), sec);
          expect(key.startsWith(svc.longTermPrefix)).toBe(true);
          const d = decodeKey(key);
          expect(d).toMatchObject({
            service: svc.id,
            kind: 'long-term',
            userName: user,
            accountId: acct,
            credentialIndex: index,
            userArn: `arn:aws:iam::${acct}:user/${user}`,
            secretSha256: secretFingerprint(sec),
            secretLength: sec.length,
          });
          expect(JSON.stringify(d)).not.toContain(sec.length >= 6 ? sec : '\u0000');
        },
      ),
      { numRuns: 400 },
    );
  });

  it('parses the alias from the right: user names with -at- and + keep their parts', () => {
    const key = encodeLongTermKey(bedrock, longTermAlias('dev-at-home+ci-at-x', '123456789012', 1), 's3cret');
    expect(decodeKey(key)).toMatchObject({
      userName: 'dev-at-home+ci-at-x',
      credentialIndex: 1,
      accountId: '123456789012',
      alias: 'dev-at-home+ci-at-x+1-at-123456789012',
    });
  });

  it('splits alias and secret at the first colon (secrets may contain colons)', () => {
    const key = encodeLongTermKey(bedrock, longTermAlias('u', '123456789012', 0), 'a:b:c');
    expect(decodeKey(key)).toMatchObject({
      userName: 'u',
      secretSha256: secretFingerprint('a:b:c'),
      secretLength: 5,
    });
  });

  it('builds the user ARN in the partition it is given, never assuming aws', () => {
    const key = encodeLongTermKey(bedrock, longTermAlias('u', '123456789012', 0), 'sec');
    expect(decodeKey(key, { partition: 'aws-us-gov' })).toMatchObject({
      userArn: 'arn:aws-us-gov:iam::123456789012:user/u',
      partition: 'aws-us-gov',
    });
    expect(decodeKey(key, { partition: 'aws-cn' })).toMatchObject({
      userArn: 'arn:aws-cn:iam::123456789012:user/u',
    });
    expect(() => decodeKey(key, { partition: 'mars' })).toThrow(KeyDecodeError);
  });

  it('re-pads a key whose "=" padding was lost and refuses characters outside the alphabet', () => {
    const key = encodeLongTermKey(bedrock, longTermAlias('u', '123456789012', 0), 'sec1');
    expect(key).toMatch(/=$/);
    expect(decodeKey(key.replace(/=+$/, ''))).toMatchObject({ userName: 'u' });
    // Node's decoder would drop a "-" or "_"; strict decoding refuses it.
    expect(decodeOrReason(`${key.slice(0, 10)}_${key.slice(11)}`)).toBe('not base64 after the ABSK prefix');
    expect(decodeOrReason(`${key.slice(0, 10)} ${key.slice(11)}`)).toBe('not base64 after the ABSK prefix');
  });

  it('tolerates whitespace, quotes, Bearer and AWS_BEARER_TOKEN_*= around the key', () => {
    const key = encodeLongTermKey(bedrock, longTermAlias('u', '123456789012', 0), 'sec1');
    for (const wrapped of [
      `  ${key}\n`,
      `"${key}"`,
      `'${key}'`,
      `Bearer ${key}`,
      `Authorization: Bearer ${key}`,
      `AWS_BEARER_TOKEN_BEDROCK=${key}`,
      `export AWS_BEARER_TOKEN_BEDROCK="${key}";`,
      ` "Bearer ${key}" `,
    ]) {
      expect(decodeKey(wrapped)).toMatchObject({ userName: 'u' });
    }
  });

  it('names what is wrong without echoing the input', () => {
    const sec = 'TOPSECRETVALUE';
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(decodeOrReason(`ABSK${b64(`user-at-12345678901:${sec}`)}`, sec)).toBe(
      'alias has no -at-<12-digit account> at its end',
    );
    expect(decodeOrReason(`ABSK${b64(sec)}`, sec)).toBe(
      'no ":" between alias and secret after the ABSK prefix',
    );
    expect(decodeOrReason(`ABSK${b64(`bad!name-at-123456789012:${sec}`)}`, sec)).toBe(
      'alias user name is not a valid IAM user name',
    );
    expect(decodeOrReason('ABSK!!', sec)).toBe('not base64 after the ABSK prefix');
    expect(decodeOrReason(sec, sec)).toMatch(/^unknown key format/);
    expect(decodeOrReason('', sec)).toBe('empty key');
  });
});

describe('short-term keys', () => {
  it('round-trips key id, account, region, service, dates and expiry for every service', () => {
    fc.assert(
      fc.property(
        service,
        accessKeyId,
        region,
        signingTime,
        fc.integer({ min: 1, max: 43200 }),
        fc.integer({ min: -50000, max: 50000 }),
        fc.boolean(),
        (svc, kid, reg, issued, expires, nowOffset, shuffle) => {
          const key = buildShortTermKey(svc, {
            accessKeyId: kid.id,
            region: reg,
            issuedAt: issued,
            expiresSeconds: expires,
            sessionToken: kid.type === 'ASIA' ? 'IQoJb3JpZ2luX2VjE/+=token' : undefined,
            shuffle: shuffle ? (n) => [...n].reverse() : undefined,
          });
          const now = new Date(issued.getTime() + nowOffset * 1000);
          const d = decodeKey(key, { now });
          const expiresAt = new Date(issued.getTime() + expires * 1000);
          expect(d).toMatchObject({
            service: svc.id,
            kind: 'short-term',
            accountId: kid.account,
            accessKeyId: kid.id,
            accessKeyType: kid.type,
            region: reg,
            partition: reg.startsWith('us-gov-') ? 'aws-us-gov' : reg.startsWith('cn-') ? 'aws-cn' : 'aws',
            signingService: svc.signingService,
            issuedAt: issued.toISOString().replace('.000Z', 'Z'),
            expiresAt: expiresAt.toISOString().replace('.000Z', 'Z'),
            expired: nowOffset >= expires,
            hasSecurityToken: kid.type === 'ASIA',
          });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('refuses an expiry above 12 hours and an ASIA key without a session token', () => {
    const kid = 'ASIAQNZGKIQY56JQ7WML';
    const base = { accessKeyId: kid, region: 'us-east-1', issuedAt: new Date('2026-01-01T00:00:00Z') };
    expect(
      decodeOrReason(buildShortTermKey(bedrock, { ...base, sessionToken: 't', expiresSeconds: 43201 })),
    ).toBe('presigned URL X-Amz-Expires is not between 1 and 43200');
    expect(decodeOrReason(buildShortTermKey(bedrock, base))).toBe(
      'presigned URL signed with an ASIA key id has no X-Amz-Security-Token',
    );
    expect(decodeKey(buildShortTermKey(bedrock, { ...base, sessionToken: 't' }))).toMatchObject({
      accountId: '029608264753',
    });
  });

  it('refuses a key signed for another service than its prefix says', () => {
    const [a, b] = SERVICES;
    const key = buildShortTermKey(a!, {
      accessKeyId: 'AKIAQNZGKIQY56JQ7WML',
      region: 'us-east-1',
      issuedAt: new Date(),
    });
    const url = Buffer.from(key.slice(a!.shortTermPrefix.length), 'base64').toString();
    expect(decodeOrReason(b!.shortTermPrefix + Buffer.from(url).toString('base64'))).toBe(
      `presigned URL host is not ${b!.shortTermHost}`,
    );
  });
});

describe('hostile input', () => {
  const keys = fc
    .tuple(service, userName, account, secret, accessKeyId, signingTime)
    .map(([svc, user, acct, sec, kid, t]) => [
      encodeLongTermKey(svc, longTermAlias(user, acct, 0), sec),
      buildShortTermKey(svc, { accessKeyId: kid.id, region: 'us-east-1', issuedAt: t, sessionToken: sec }),
      sec,
    ]);

  it('random text never throws anything but KeyDecodeError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.constantFrom(...SERVICES.flatMap((s) => [s.longTermPrefix, s.shortTermPrefix])).chain((p) =>
            fc.oneof(
              fc.base64String().map((b) => p + b),
              fc.string().map((b) => p + b),
            ),
          ),
        ),
        (text) => {
          decodeOrReason(text);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('truncated and corrupted keys fail with KeyDecodeError and never echo the secret', () => {
    fc.assert(
      fc.property(keys, fc.nat(), fc.nat(), ([longKey, shortKey, sec], cut, flip) => {
        for (const key of [longKey!, shortKey!]) {
          const truncated = key.slice(0, cut % key.length);
          const corrupted = key.slice(0, flip % key.length) + '%' + key.slice((flip % key.length) + 1);
          decodeOrReason(truncated, sec);
          decodeOrReason(corrupted, sec);
        }
      }),
      { numRuns: 500 },
    );
  });
});
