/**
 * Files the toolkit writes (reports, revoke records, backups) are readable by their owner only and
 * are never written through a symbolic link: the text goes to a new file (created exclusively, mode
 * 0600, next to the target) that is then renamed over the target. A link at the target is replaced,
 * its target left untouched; a reader never sees a half-written file.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Why a file could not be written: the folder is missing or not a folder (bad input, exit 2). */
export class OutputPathError extends Error {
  override name = 'OutputPathError';
}

/** Checks that `path` can be written: its folder exists and is a folder (before any work is done). */
export function checkOutputPath(path: string): void {
  const dir = dirname(path);
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) throw new OutputPathError(`the folder ${dir} does not exist`);
  if (!st.isDirectory()) throw new OutputPathError(`${dir} is not a folder`);
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory())
    throw new OutputPathError(`${path} is a folder`);
}

/** Writes a file readable only by its owner (mode 0600), replacing what was there (never through a link). */
export function writePrivateFile(path: string, text: string | Uint8Array): void {
  checkOutputPath(path);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': O_CREAT|O_EXCL — fails rather than follow a link or reuse a file someone planted.
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text);
      fchmodSync(fd, 0o600);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or gone
    }
    throw err;
  }
}
