import { describe, expect, it } from 'vitest';
import {
  accessKeyIdForAccount,
  buildShortTermKey,
  encodeLongTermKey,
  longTermAlias,
  secretFingerprint,
} from '../../src/keys';
import { SERVICES } from '../../src/services';
import { bks, bksProcess } from './bks-runner';

const [bedrock, claude] = SERVICES as [(typeof SERVICES)[0], (typeof SERVICES)[0]];
const SECRET = `CANARY${Math.random().toString(36).slice(2)}SECRET`;
const TOKEN = `TOKENCANARY${Math.random().toString(36).slice(2)}`;
const SIGNATURE = 'deadbeef'.repeat(8);
const longKey = encodeLongTermKey(bedrock, longTermAlias('BedrockAPIKey-ab12', '123456789012', 1), SECRET);
const shortKey = buildShortTermKey(claude, {
  accessKeyId: accessKeyIdForAccount('ASIA', '210987654321', Uint8Array.of(1, 2, 3, 4, 5, 6)),
  region: 'cn-north-1',
  issuedAt: new Date('2026-02-03T04:05:06Z'),
  expiresSeconds: 600,
  sessionToken: TOKEN,
  signature: SIGNATURE,
});

function expectNoSecret(run: { stdout: string; stderr: string }) {
  for (const text of [run.stdout, run.stderr]) {
    for (const needle of [SECRET, TOKEN, SIGNATURE, longKey.slice(4, 40), shortKey.slice(20, 60)]) {
      expect(text).not.toContain(needle);
    }
  }
}

describe('bks decode-key', () => {
  it('decodes one long-term key into the contract fields (JSON)', async () => {
    const run = await bks(['decode-key', longKey, '-o', 'json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toEqual({
      schema: 'bks.decode-key/v1',
      service: 'bedrock',
      kind: 'long-term',
      alias: 'BedrockAPIKey-ab12+1-at-123456789012',
      accountId: '123456789012',
      userName: 'BedrockAPIKey-ab12',
      credentialIndex: 1,
      partition: 'aws',
      userArn: 'arn:aws:iam::123456789012:user/BedrockAPIKey-ab12',
      consoleUserName: true,
      secretSha256: secretFingerprint(SECRET),
      secretLength: SECRET.length,
    });
    expectNoSecret(run);
  });

  it('takes --partition for a long-term key and refuses an unknown one', async () => {
    const run = await bks(['decode-key', longKey, '-o', 'json', '--partition', 'aws-us-gov']);
    expect(JSON.parse(run.stdout).userArn).toBe('arn:aws-us-gov:iam::123456789012:user/BedrockAPIKey-ab12');
    const bad = await bks(['decode-key', longKey, '--partition', 'aws-mars']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^bks: --partition must be one of/);
  });

  it('decodes a short-term key: signer, account from the key id, region, partition, expiry', async () => {
    const run = await bks(['decode-key', shortKey, '-o', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      service: 'claude-platform',
      kind: 'short-term',
      accountId: '210987654321',
      accessKeyType: 'ASIA',
      region: 'cn-north-1',
      partition: 'aws-cn',
      signingService: 'aws-external-anthropic',
      issuedAt: '2026-02-03T04:05:06Z',
      expiresAt: '2026-02-03T04:15:06Z',
      expired: true,
    });
    expectNoSecret(run);
  });

  it('prints a table by default', async () => {
    const run = await bks(['decode-key', `Bearer ${longKey}`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^field\s+value\n/);
    expect(run.stdout).toMatch(/userName\s+BedrockAPIKey-ab12\n/);
    expectNoSecret(run);
  });

  it('exits 2 with a one-line reason that holds no part of a bad key', async () => {
    const bad = `ABSK${Buffer.from(`no-account-here:${SECRET}`).toString('base64')}`;
    const run = await bks(['decode-key', bad]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('bks: alias has no -at-<12-digit account> at its end\n');
    expectNoSecret(run);
    expect(run.stderr).not.toContain(bad.slice(4, 30));
  });

  it('reads one key per line from stdin, in input order, bad lines in place, exit 2 at the end', async () => {
    const bad = `ABSK${Buffer.from(SECRET).toString('base64')}`;
    const input = `${longKey}\n\n  "${shortKey}"  \n${bad}\nAWS_BEARER_TOKEN_BEDROCK=${longKey}\n`;
    const run = await bksProcess(['decode-key', '-o', 'json'], input);
    expect(run.code).toBe(2);
    const out = JSON.parse(run.stdout);
    expect(out.schema).toBe('bks.decode-key/v1');
    expect(
      out.keys.map((k: { input: number; kind?: string; error?: string }) => [k.input, k.kind ?? k.error]),
    ).toEqual([
      [0, 'long-term'],
      [1, 'short-term'],
      [2, 'no ":" between alias and secret after the ABSK prefix'],
      [3, 'long-term'],
    ]);
    expect(run.stderr).toBe('bks: 1 of 4 lines are not valid keys\n');
    expectNoSecret(run);
    const table = await bksProcess(['decode-key', '-'], input);
    expect(table.code).toBe(2);
    expect(table.stdout).toContain('BedrockAPIKey-ab12 (+1)');
    expectNoSecret(table);
  });

  it('exits 0 for a batch with only good keys', async () => {
    const run = await bksProcess(['decode-key'], `${longKey}\n${shortKey}\n`);
    expect(run.code).toBe(0);
    expectNoSecret(run);
  });
});
