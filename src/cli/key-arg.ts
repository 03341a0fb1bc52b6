/**
 * A KEY argument of `revoke-key`, `timeline` and `report` may be `-`: the key is then read from the
 * first non-empty line of stdin, so it never appears in the process list or the shell history
 * (`bks revoke-key - -y < leaked.txt`).
 */
import { UsageError } from '../errors';

export async function resolveKeyArg(
  arg: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string> {
  if (arg !== '-') return arg;
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  const line = Buffer.concat(chunks)
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (!line) throw new UsageError('no key on stdin (the argument "-" reads one key from stdin)');
  return line;
}
