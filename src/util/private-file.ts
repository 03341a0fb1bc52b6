/** Files the toolkit writes (reports, revoke records, backups) are readable by their owner only. */
import { chmodSync, closeSync, openSync, writeSync } from 'node:fs';

/** Writes a file readable only by its owner (mode 0600), also when it already existed. */
export function writePrivateFile(path: string, text: string | Uint8Array): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
}
