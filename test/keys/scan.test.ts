import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildShortTermKey,
  encodeLongTermKey,
  findKeys,
  longTermAlias,
  scanBytes,
  scanFile,
  secretFingerprint,
} from '../../src/keys';
import { ReadBuffer } from '../../src/keys/scan';
import { SERVICES } from '../../src/services';
import { account, secret, service, userName } from './fixtures';

const [bedrock, claude] = SERVICES as [(typeof SERVICES)[0], (typeof SERVICES)[0]];
const tmp = () => mkdtempSync(join(tmpdir(), 'bks-scan-'));

describe('findKeys', () => {
  it('reports line and column (UTF-16 units) of each key, in order', () => {
    const k1 = encodeLongTermKey(bedrock, longTermAlias('alice', '123456789012', 0), 'secret-one');
    const k2 = encodeLongTermKey(claude, longTermAlias('AeaApiKey-x1', '123456789012', 1), 'secret-two');
    const text = `héllo ✓\nx="${k1}" y='${k2}'\n\n\tkey: ${k1}\n`;
    const found = findKeys(text);
    expect(found.map((m) => [m.line, m.column, m.value.service])).toEqual([
      [2, 4, 'bedrock'],
      [2, 4 + k1.length + 5, 'claude-platform'],
      [4, 7, 'bedrock'],
    ]);
  });

  it('reports AWS_BEARER_TOKEN_* assignments of non-key values, and keys in them as keys', () => {
    const key = encodeLongTermKey(bedrock, longTermAlias('u', '123456789012', 0), 'sec');
    const text = [
      `AWS_BEARER_TOKEN_BEDROCK=${key}`,
      'export AWS_BEARER_TOKEN_BEDROCK="not-a-key-but-a-secret"',
      'env: { "AWS_BEARER_TOKEN_AWS_EXTERNAL_ANTHROPIC": "opaque_value_1234" }',
      "os.environ['AWS_BEARER_TOKEN_CUSTOM'] = 'xyzxyzxyz123'",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
      'AWS_BEARER_TOKEN_BEDROCK=${{ secrets.BEDROCK }}',
      'AWS_BEARER_TOKEN_BEDROCK=$TOKEN',
      'token = os.getenv("AWS_BEARER_TOKEN_BEDROCK")',
      'if AWS_BEARER_TOKEN_BEDROCK == "something-long":',
      'AWS_BEARER_TOKEN_BEDROCK=',
      'export AWS_BEARER_TOKEN_BEDROCK=your-api-key-here',
      'AWS_BEARER_TOKEN_BEDROCK=xxxxxxxxxxxx',
    ].join('\n');
    const found = findKeys(text);
    expect(
      found.map((m) => [m.line, m.value.kind, m.value.service, 'envVar' in m.value ? m.value.envVar : '']),
    ).toEqual([
      [1, 'long-term', 'bedrock', ''],
      [2, 'bearer-env-assignment', 'bedrock', 'AWS_BEARER_TOKEN_BEDROCK'],
      [3, 'bearer-env-assignment', 'claude-platform', 'AWS_BEARER_TOKEN_AWS_EXTERNAL_ANTHROPIC'],
      [4, 'bearer-env-assignment', 'unknown', 'AWS_BEARER_TOKEN_CUSTOM'],
    ]);
    expect(found[1]!.value.secretSha256).toBe(secretFingerprint('not-a-key-but-a-secret'));
    expect(findKeys(text, { bearerAssignments: false })).toHaveLength(1);
  });

  it('finds keys at the very start, after runs of A, and back to back', () => {
    for (const svc of SERVICES) {
      const key = encodeLongTermKey(svc, longTermAlias('u', '123456789012', 0), 'sec');
      const short = buildShortTermKey(svc, {
        accessKeyId: 'AKIAQNZGKIQY56JQ7WML',
        region: 'us-east-1',
        issuedAt: new Date(),
      });
      expect(findKeys(key).map((m) => m.column)).toEqual([1]);
      expect(findKeys(`${'A'.repeat(1000)} ${key}`).map((m) => m.column)).toEqual([1002]);
      expect(findKeys(`${key} ${short}`).map((m) => m.value.kind)).toEqual(['long-term', 'short-term']);
    }
  });

  it('rejects random base64 after every prefix (precision rests on decoding, not entropy)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SERVICES.flatMap((s) => [s.longTermPrefix, s.shortTermPrefix])),
        fc.uint8Array({ minLength: 20, maxLength: 200 }),
        (prefix, bytes) => {
          const r = scanBytes(`x = "${prefix}${Buffer.from(bytes).toString('base64')}"\n`);
          expect(r.matches).toEqual([]);
          expect(r.stats.rejected).toBe(r.stats.candidates);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        findKeys(Buffer.from(bytes));
      }),
    );
  });
});

describe('scanFile', () => {
  it('finds the same keys at the same places whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(service, userName, account, secret, fc.integer({ min: 0, max: 200_000 }), fc.boolean()),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        (planted) => {
          const filler = 'lorem ipsum dolor sit amet, ABS token AEA ok\n';
          let text = '';
          for (const [svc, user, acct, sec, gap, short] of planted) {
            text += filler.repeat(Math.ceil(gap / filler.length)).slice(0, gap);
            const key = short
              ? buildShortTermKey(svc, {
                  accessKeyId: 'AKIAQNZGKIQY56JQ7WML',
                  region: 'us-east-1',
                  issuedAt: new Date('2026-01-01T00:00:00Z'),
                })
              : encodeLongTermKey(svc, longTermAlias(user, acct, 0), sec);
            text += ` "${key}"\n`;
          }
          const dir = tmp();
          const file = join(dir, 'f.txt');
          writeFileSync(file, text);
          const whole = findKeys(text, { now: new Date('2026-01-01T00:00:00Z') });
          // The smallest buffer the scanner accepts, so that keys straddle many chunk boundaries.
          const chunked = scanFile(file, { now: new Date('2026-01-01T00:00:00Z') }, new ReadBuffer(1));
          expect(chunked).not.toBe('binary');
          if (chunked === 'binary') return;
          expect(chunked.matches).toEqual(whole);
          expect(whole).toHaveLength(planted.length);
          expect(chunked.bytes).toBe(Buffer.byteLength(text));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('says binary for a file with a NUL byte near its start', () => {
    const dir = tmp();
    const key = encodeLongTermKey(bedrock, longTermAlias('u', '123456789012', 0), 'sec');
    writeFileSync(join(dir, 'b.bin'), Buffer.concat([Buffer.from([0x7f, 0x45, 0, 1]), Buffer.from(key)]));
    expect(scanFile(join(dir, 'b.bin'), {})).toBe('binary');
  });
});
