/**
 * `bks hunt` on bad input: every case is one line on stderr naming what is wrong, exit 2 (never 1,
 * which means "matches"), no stack trace, nothing from the input quoted beyond a position, and no
 * wait on a FIFO. A single huge record costs linear work, and one over the documented limit is
 * refused at once.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { RecordSplitter } from '../../src/detect/records';
import { testBundle } from '../helpers/bundle';

async function huntCli(args: string[]): Promise<{ code: number; err: string }> {
  const chunks: string[] = [];
  const code = await main(['hunt', ...args], {
    write: (s: string) => chunks.push(s),
  } as unknown as NodeJS.WritableStream);
  return { code, err: chunks.join('') };
}

function expectOneLine(err: string) {
  expect(err).toMatch(/^bks: [^\n]+\n$/);
  expect(err).not.toMatch(/\n\s+at /);
}

const ROOT = join(import.meta.dirname, '../..');
const dir = () => mkdtempSync(join(tmpdir(), 'bks-hunt-in-'));

/**
 * The bundle whose entry is `bin` as a package anyone can read: its folder (the entry and its chunks)
 * under a copy of what the code reads from its package root (src/paths.ts: package.json,
 * detections/, scps/).
 */
function readableCopy(bin: string): string {
  const to = dir();
  chmodSync(to, 0o755);
  for (const part of ['package.json', 'detections', 'scps'])
    cpSync(join(ROOT, part), join(to, part), { recursive: true });
  cpSync(dirname(bin), join(to, 'bundle'), { recursive: true });
  return join(to, 'bundle', basename(bin));
}

describe('hunt: bad inputs are one line and exit 2', () => {
  it('an unreadable file: no unhandled stream error, exit 2 (as a process: the crash was in an event)', async () => {
    const d = dir();
    const file = join(d, 'trail.json');
    writeFileSync(file, '{"Records":[]}');
    chmodSync(file, 0o000);
    chmodSync(d, 0o755);
    // Root reads any file: run as nobody then.
    const asRoot = process.getuid?.() === 0;
    // The run's bundle of the sources under test (test/helpers/bundle.ts). Run as nobody, it is read
    // from a copy in a folder anyone can read: the clone itself may sit in a private folder (mktemp -d).
    const bks = (await testBundle()).bks;
    const r = spawnSync(process.execPath, [asRoot ? readableCopy(bks) : bks, 'hunt', file], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/EACCES|permission denied/);
  }, 30_000);

  it('a FIFO is refused at once, not read (it would block forever)', async () => {
    const d = dir();
    const fifo = join(d, 'pipe.json');
    const mk = spawnSync('mkfifo', [fifo]);
    expect(mk.status).toBe(0);
    const r = await huntCli([fifo]);
    expect(r.code).toBe(2);
    expectOneLine(r.err);
    expect(r.err).toContain('not a regular file');
  });

  it.each([
    ['{"Records": {"eventName": "CreateUser"}}', 'Records is not an array'],
    ['{"Records": null}', 'Records is not an array'],
    ['{"Records": "x"}', 'Records is not an array'],
    ['"just a string"', ''],
    ['null', ''],
    ['[1, 2, "three"]', ''],
    ['{"Records": [1, 2]}', ''],
    ['[{"hello": "world"}]', 'not a CloudTrail record'],
    ['{"eventName": 7, "eventSource": "iam.amazonaws.com"}', 'not a CloudTrail record'],
  ])('%s: exit 2, one line', async (text, why) => {
    const d = dir();
    writeFileSync(join(d, 'x.json'), text);
    const r = await huntCli([join(d, 'x.json')]);
    expect(r.code).toBe(2);
    expectOneLine(r.err);
    expect(r.err).toContain('x.json');
    if (why) expect(r.err).toContain(why);
  });

  it('an error message quotes nothing of the input, only a position', async () => {
    const d = dir();
    const secretish = 'ABSKsecretStartXYZ';
    writeFileSync(join(d, 'x.json'), `{"Records":[{"eventName": ${secretish}}]}`);
    const r = await huntCli([join(d, 'x.json')]);
    expect(r.code).toBe(2);
    expectOneLine(r.err);
    expect(r.err).toMatch(/at line 1 \(byte \d+\)/);
    // The temporary directory's random name is not input: leave the path out of the check.
    const said = r.err.replaceAll(d, '');
    for (let n = 3; n <= secretish.length; n++) expect(said).not.toContain(secretish.slice(0, n));
    const junk = await (async () => {
      writeFileSync(join(d, 'y.json'), 'Zsecret');
      return huntCli([join(d, 'y.json')]);
    })();
    expect(junk.code).toBe(2);
    expect(junk.err.replaceAll(d, '')).not.toContain('Z');
  });

  it('CloudTrail digest files in a directory are skipped, not read as records', async () => {
    const d = dir();
    writeFileSync(
      join(d, '111111111111_CloudTrail-Digest_us-east-1_trail_us-east-1_20261120T000000Z.json'),
      JSON.stringify({ awsAccountId: '111111111111', logFiles: [] }),
    );
    writeFileSync(join(d, 'trail.json'), '{"Records":[]}');
    const r = await huntCli([d, '-o', 'json']);
    expect(r.code).toBe(0);
  });
});

describe('hunt: a single huge record', () => {
  it('is assembled with linear copying (not a re-copy of the record per chunk)', () => {
    const size = 8 * 1024 * 1024;
    const record = Buffer.from(
      `{"eventName":"InvokeModel","eventSource":"bedrock.amazonaws.com","requestParameters":{"x":"${'a'.repeat(size)}"}}`,
    );
    const got: unknown[] = [];
    const splitter = new RecordSplitter((r) => got.push(r));
    const chunk = 64 * 1024;
    for (let i = 0; i < record.length; i += chunk) splitter.push(record.subarray(i, i + chunk));
    splitter.end();
    expect(got).toHaveLength(1);
    // Doubling growth copies at most about twice the record; per-chunk concatenation copied ~n²/2chunk.
    expect(splitter.copiedBytes).toBeLessThan(3 * record.length);
  });

  it('over the documented limit, it is refused at once with exit 2', async () => {
    const d = dir();
    const file = join(d, 'huge.json');
    // 33 MiB in one record, over the 32 MiB limit.
    writeFileSync(file, `{"Records":[{"eventName":"X","blob":"${'b'.repeat(33 * 1024 * 1024)}"}]}`);
    const r = await huntCli([file]);
    expect(r.code).toBe(2);
    expectOneLine(r.err);
    expect(r.err).toMatch(/record over 32 MiB at line 1 \(byte 12\)/);
  }, 30_000);
});
