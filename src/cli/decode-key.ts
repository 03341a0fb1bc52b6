/**
 * `bks decode-key [KEY]`: offline decoding of one key (argument) or of one key per line (stdin, or
 * `-`). Prints what the key says about itself; never any part of its secret.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors';
// The decoder itself, not the keys/ barrel (which also brings the file and git scanner).
import { type DecodedKey, decodeKey, KeyDecodeError } from '../keys/decode';
import { PARTITIONS } from '../keys/partition';
import {
  type CommandContext,
  type CommonOptions,
  commonAction,
  EXIT,
  emit,
  renderJson,
  renderTable,
} from './common';
import type { RunAction } from './main';

const SPEC = { formats: ['table', 'json'] } as const;
export const DECODE_KEY_SCHEMA = 'bks.decode-key/v1';

interface DecodeKeyOptions extends CommonOptions {
  partition?: string;
  stdin?: NodeJS.ReadableStream;
  now?: Date;
}

export type BatchEntry = ({ input: number } & DecodedKey) | { input: number; error: string };

function rows(k: DecodedKey): [string, string][] {
  const out: [string, string][] = [
    ['service', k.service],
    ['kind', k.kind],
    ['accountId', k.accountId],
  ];
  if (k.kind === 'long-term') {
    out.push(
      ['userName', k.userName],
      ['credentialIndex', String(k.credentialIndex)],
      ['alias', k.alias],
      ['userArn', k.userArn],
      ['consoleUserName', String(k.consoleUserName)],
      ['secretLength', String(k.secretLength)],
      ['secretSha256', k.secretSha256],
    );
  } else {
    out.push(
      ['accessKeyId', k.accessKeyId],
      ['accessKeyType', k.accessKeyType],
      ['region', k.region],
      ['partition', k.partition],
      ['signingService', k.signingService],
      ['issuedAt', k.issuedAt],
      ['expiresAt', k.expiresAt],
      ['expired', String(k.expired)],
      ['hasSecurityToken', String(k.hasSecurityToken)],
      ['secretSha256', k.secretSha256],
    );
  }
  return out;
}

function who(k: DecodedKey): string {
  return k.kind === 'long-term'
    ? `${k.userName}${k.credentialIndex ? ` (+${k.credentialIndex})` : ''}`
    : k.accessKeyId;
}

function expiry(k: DecodedKey, ctx: CommandContext): string {
  if (k.kind === 'long-term') return ctx.style.dim('not in key');
  return k.expired ? ctx.style.red(`expired ${k.expiresAt}`) : ctx.style.green(`until ${k.expiresAt}`);
}

async function readLines(stream: NodeJS.ReadableStream): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
}

export async function decodeKeyCommand(
  key: string | undefined,
  opts: DecodeKeyOptions,
  ctx: CommandContext,
): Promise<number> {
  if (opts.partition !== undefined && !PARTITIONS.includes(opts.partition)) {
    throw new UsageError(`--partition must be one of ${PARTITIONS.join(', ')} (got "${opts.partition}")`);
  }
  const decodeOpts = { partition: opts.partition, now: opts.now };
  if (key !== undefined && key !== '-') {
    // One key: the decoded object, or exit 2 with the reason (KeyDecodeError is a UsageError).
    const decoded = decodeKey(key, decodeOpts);
    emit(
      decoded,
      {
        json: (k) => renderJson(DECODE_KEY_SCHEMA, k),
        table: (k) => renderTable(['field', 'value'], rows(k)),
      },
      ctx,
    );
    return EXIT.OK;
  }
  const stdin = opts.stdin ?? process.stdin;
  if ((stdin as { isTTY?: boolean }).isTTY)
    ctx.log('reading keys from stdin, one per line (end with Ctrl-D)');
  const lines = await readLines(stdin);
  const keys: BatchEntry[] = lines.map((line, input) => {
    try {
      return { input, ...decodeKey(line, decodeOpts) };
    } catch (err) {
      if (err instanceof KeyDecodeError) return { input, error: err.message };
      throw err;
    }
  });
  emit(
    { keys },
    {
      json: (r) => renderJson(DECODE_KEY_SCHEMA, r),
      table: (r, c) =>
        renderTable(
          ['#', 'service', 'kind', 'account', 'user / key id', 'expiry', 'secret sha256 / error'],
          r.keys.map((e) =>
            'error' in e
              ? [String(e.input), '', c.style.red('error'), '', '', '', e.error]
              : [
                  String(e.input),
                  e.service,
                  e.kind,
                  e.accountId,
                  who(e),
                  expiry(e, c),
                  e.secretSha256.slice(0, 16),
                ],
          ),
        ),
    },
    ctx,
  );
  const bad = keys.filter((e) => 'error' in e).length;
  if (bad > 0) ctx.warn(`${bad} of ${keys.length} lines are not valid keys`);
  return bad > 0 ? EXIT.USAGE : EXIT.OK;
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('decode-key')
    .description(
      'decode an API key offline: service, kind, account, user or signer, expiry (never the secret)',
    )
    .argument(
      '[key]',
      'the key; "-" or nothing reads one key per line from stdin (safer: keeps keys out of shell history)',
    )
    .option(
      '--partition <partition>',
      `partition for a long-term key's user ARN (${PARTITIONS.join(', ')}; default aws)`,
    );
  commonAction(cmd, SPEC, run, decodeKeyCommand);
}
