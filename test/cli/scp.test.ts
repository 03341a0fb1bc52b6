import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { isExplicitlyDenied, type PolicyDocument } from '../../src/policy/evaluate';
import { SCP_MAX_CHARS } from '../../src/policy/scps';

/** Runs `bks` in-process, capturing stdout and stderr. */
async function bks(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8'));
    return true;
  });
  const err = new PassThrough();
  const errChunks: Buffer[] = [];
  err.on('data', (c: Buffer) => errChunks.push(c));
  try {
    const code = await main(argv, err);
    return { code, out: chunks.join(''), err: Buffer.concat(errChunks).toString('utf8') };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('bks scp list', () => {
  it('lists the five controls with descriptions and sizes', async () => {
    const { code, out } = await bks('scp', 'list');
    expect(code).toBe(0);
    for (const name of [
      'api-key-max-age',
      'deny-api-keys',
      'deny-long-term-api-keys',
      'deny-phantom-escalation',
      'deny-phantom-users',
    ]) {
      expect(out).toContain(name);
    }
    expect(out).not.toContain('negative/');
    expect(out).toContain('longer than 90 days');
  });

  it('renders versioned JSON', async () => {
    const { code, out } = await bks('scp', 'list', '-o', 'json');
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { schema: string; policies: { name: string; characters: number }[] };
    expect(doc.schema).toBe('bks.scp-list/v1');
    expect(doc.policies).toHaveLength(5);
    for (const p of doc.policies) expect(p.characters).toBeLessThanOrEqual(SCP_MAX_CHARS);
  });
});

describe('bks scp show', () => {
  it('prints minified JSON ready for create-policy, with the maximum age filled in', async () => {
    const { code, out } = await bks('scp', 'show', 'api-key-max-age', '--max-age-days', '30');
    expect(code).toBe(0);
    expect(out.trimEnd()).not.toMatch(/\s{2}|\n/);
    expect(out.length - 1).toBeLessThanOrEqual(SCP_MAX_CHARS);
    const policy = JSON.parse(out) as PolicyDocument;
    const create = (age?: number) => ({
      action: 'iam:CreateServiceSpecificCredential',
      resource: 'arn:aws:iam::111122223333:user/alice',
      context: {
        'iam:ServiceSpecificCredentialServiceName': 'bedrock.amazonaws.com',
        ...(age === undefined ? {} : { 'iam:ServiceSpecificCredentialAgeDays': age }),
      },
    });
    expect(isExplicitlyDenied([policy], create(31))).toBe(true);
    expect(isExplicitlyDenied([policy], create(30))).toBe(false);
    expect(isExplicitlyDenied([policy], create())).toBe(true);
  });

  it('uses the default age when none is given', async () => {
    const { out } = await bks('scp', 'show', 'api-key-max-age');
    expect(out).toContain('"iam:ServiceSpecificCredentialAgeDays":"90"');
  });

  it('renders JSON with the policy, its content and its proof', async () => {
    const { code, out } = await bks('scp', 'show', 'deny-phantom-escalation', '-o', 'json');
    expect(code).toBe(0);
    const doc = JSON.parse(out) as {
      schema: string;
      content: string;
      proof: { expected: string; ok: boolean }[];
    };
    expect(doc.schema).toBe('bks.scp-show/v1');
    expect(JSON.parse(doc.content)).toHaveProperty('Statement');
    expect(doc.proof.every((l) => l.ok)).toBe(true);
    expect(doc.proof.some((l) => l.expected === 'gap')).toBe(true);
  });

  it('renders the proof table', async () => {
    const { code, out } = await bks('scp', 'show', 'deny-long-term-api-keys', '-o', 'table');
    expect(code).toBe(0);
    expect(out).toMatch(/allow\s+allowed\s+short-term key use on bedrock/);
    expect(out).toMatch(/deny\s+denied\s+long-term key use on bedrock-mantle/);
    expect(out).not.toContain('FAIL');
  });

  it('exits 2 on an unknown name, listing the valid ones', async () => {
    const { code, out, err } = await bks('scp', 'show', 'deny-everything');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/unknown SCP "deny-everything"; valid names: api-key-max-age, deny-api-keys/);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 on a bad or misplaced --max-age-days', async () => {
    expect((await bks('scp', 'show', 'api-key-max-age', '--max-age-days', '0')).code).toBe(2);
    expect((await bks('scp', 'show', 'api-key-max-age', '--max-age-days', '36601')).code).toBe(2);
    const misplaced = await bks('scp', 'show', 'deny-api-keys', '--max-age-days', '30');
    expect(misplaced.code).toBe(2);
    expect(misplaced.err).toMatch(/does not apply to deny-api-keys/);
    expect((await bks('scp', 'show', 'negative/baseline-max-age-no-null')).code).toBe(2);
  });
});
