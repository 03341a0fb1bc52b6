/** Runs `bks` in-process (stdout and stderr captured) or, when stdin is needed, as a real process. */
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from '../../src/cli/main';
import { testBundle } from '../helpers/bundle';

export interface BksRun {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = fileURLToPath(new URL('../../bin/bks.mjs', import.meta.url));

export async function bks(args: string[]): Promise<BksRun> {
  const err = new PassThrough();
  const errChunks: Buffer[] = [];
  err.on('data', (c: Buffer) => errChunks.push(c));
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  // Commands write warnings to process.stderr (makeContext's default): capture it too.
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errChunks.push(Buffer.from(chunk));
    return true;
  });
  try {
    const code = await main(args, err);
    return { code, stdout: out.join(''), stderr: Buffer.concat(errChunks).toString('utf8') };
  } finally {
    spy.mockRestore();
    errSpy.mockRestore();
  }
}

/**
 * `bks` as a real process, `stdin` piped in: the run's bundle of the sources under test
 * (test/helpers/bundle.ts, a start of ~0.2 s of CPU), or with `launcher` the development launcher
 * bin/bks.mjs (the same sources through tsx, ~1 s).
 */
export async function bksProcess(
  args: string[],
  stdin: string,
  cwd?: string,
  opts: { launcher?: boolean } = {},
): Promise<BksRun> {
  const bin = opts.launcher ? BIN : (await testBundle()).bks;
  const r = spawnSync(process.execPath, [bin, ...args], {
    input: stdin,
    encoding: 'utf8',
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
