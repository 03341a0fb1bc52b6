/**
 * The IAM credential report: one CSV with every user's password, MFA and access keys (state,
 * last rotation, last use). Generated at most every 4 hours, so it can be older than the scan.
 */
import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { errorCode, systemClock } from '../aws';
import type { AccessKeyInfo, LoginInfo } from './types';

export interface ReportRow {
  user: string;
  arn: string;
  login: LoginInfo;
  accessKeys: AccessKeyInfo[];
}

export interface CredentialReport {
  generatedAt: string | null;
  rows: Map<string, ReportRow>;
}

/** RFC 4180 CSV (quotes, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => r.length > 1 || r[0] !== '');
}

const isoOrNull = (v: string | undefined): string | null =>
  v && /^\d{4}-\d{2}-\d{2}T/.test(v) ? new Date(v).toISOString() : null;

/** Parses the report's CSV into rows keyed by user name (`<root_account>` is left out). */
export function parseCredentialReport(csv: string): Map<string, ReportRow> {
  const [header, ...lines] = parseCsv(csv);
  const out = new Map<string, ReportRow>();
  if (!header) return out;
  const col = (name: string) => header.indexOf(name);
  const get = (line: string[], name: string) => {
    const i = col(name);
    return i >= 0 ? line[i] : undefined;
  };
  for (const line of lines) {
    const user = get(line, 'user');
    if (!user || user === '<root_account>') continue;
    const accessKeys: AccessKeyInfo[] = [];
    for (const n of [1, 2]) {
      const rotated = get(line, `access_key_${n}_last_rotated`);
      const active = get(line, `access_key_${n}_active`) === 'true';
      // A slot exists when it was ever rotated (created); an empty slot reads N/A and false.
      if (!active && (!rotated || rotated === 'N/A')) continue;
      accessKeys.push({
        status: active ? 'Active' : 'Inactive',
        createdAt: isoOrNull(rotated),
        lastUsedAt: isoOrNull(get(line, `access_key_${n}_last_used_date`)),
      });
    }
    out.set(user, {
      user,
      arn: get(line, 'arn') ?? '',
      login: {
        passwordEnabled: get(line, 'password_enabled') === 'true',
        mfaActive: get(line, 'mfa_active') === 'true',
      },
      accessKeys,
    });
  }
  return out;
}

export interface FetchReportOptions {
  /** Gives up after this long waiting for a report to be generated (default 120 s). */
  timeoutMs?: number;
  /** The pause between polls. @default `systemClock.sleep` (src/aws/ratelimit.ts), as every wait of bks */
  sleep?: (ms: number) => Promise<void>;
}

const NOT_READY = new Set([
  'ReportInProgress',
  'CredentialReportNotReadyException',
  'ReportNotPresent',
  'CredentialReportNotPresentException',
  'ReportExpired',
  'CredentialReportExpiredException',
]);

/**
 * Generate, then Get; while the report is being built, poll Generate with backoff
 * (250 ms doubling to 4 s). Throws the AWS error when a read is refused.
 */
export async function fetchCredentialReport(
  iam: IAMClient,
  opts: FetchReportOptions = {},
): Promise<CredentialReport> {
  const sleep = opts.sleep ?? ((ms: number) => systemClock.sleep(ms));
  const deadline = systemClock.now() + (opts.timeoutMs ?? 120_000);
  let delay = 250;
  for (;;) {
    const gen = await iam.send(new GenerateCredentialReportCommand({}));
    if (gen.State === 'COMPLETE') {
      try {
        const got = await iam.send(new GetCredentialReportCommand({}));
        const content = got.Content ? Buffer.from(got.Content).toString('utf8') : '';
        return {
          generatedAt: got.GeneratedTime ? got.GeneratedTime.toISOString() : null,
          rows: parseCredentialReport(content),
        };
      } catch (err) {
        if (!NOT_READY.has(errorCode(err))) throw err;
      }
    }
    if (systemClock.now() + delay > deadline) {
      throw Object.assign(new Error('the credential report was not ready in time'), {
        name: 'CredentialReportTimeout',
      });
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 4000);
  }
}
