/**
 * `bks hunt`: stream CloudTrail log files through every rule, the stateful ones included. Files are
 * read in chunks, decompressed on the fly (`.gz` or gzip magic), split into records without
 * building the whole file in memory, and each record is matched once against the compiled rules.
 */
import {
  closeSync,
  createReadStream,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { maskKeysDeep } from '../keys/mask';
import { type CloudTrailRecord, isBearerTokenCall, principalOf } from './knowledge';
import { RecordSplitter, RecordSyntaxError } from './records';
import { envelopeOf, type Rule, type RuleSet, recordOf, type Severity } from './rules';
import { StatefulEngine, type StatefulMatch, type StatefulOverrides } from './stateful';

export interface HuntMatch {
  ruleId: string;
  title: string;
  severity: Severity;
  kind: 'pattern' | 'stateful';
  eventId: string | null;
  eventTime: string | null;
  eventName: string | null;
  eventSource: string | null;
  principal: string;
  region: string | null;
  sourceIPAddress: string | null;
  bearerToken: boolean;
  file: string;
  /** Stateful rules: the count, or the number of distinct regions, that crossed the threshold. */
  value?: number;
  regions?: string[];
}

export interface HuntResult {
  generatedAt: string;
  matches: HuntMatch[];
  rules: {
    id: string;
    title: string;
    severity: Severity;
    kind: string;
    threshold?: number;
    windowSeconds?: number;
  }[];
  scanned: number;
  /**
   * Records that are CloudTrail data events (`eventCategory: "Data"`). A trail's files hold them only
   * where its selectors select them (bedrock-mantle inference, Bedrock agents…): with 0 here, no
   * match on such calls says nothing about them.
   */
  dataEvents: number;
  files: { path: string; records: number; bytes: number }[];
}

/** Bad input (unreadable file, malformed JSON): the message names the file and position. */
export class HuntInputError extends Error {
  override name = 'HuntInputError';
}

const LOG_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
/** CloudTrail digest files (integrity validation) sit next to the logs and hold no records. */
const DIGEST_FILE = /CloudTrail-Digest/;

/** Expands files and directories (recursively, sorted) into the log files to read. */
export function listLogFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (dir: string) => {
    const real = realpathSync(dir);
    if (seen.has(real)) return; // a symlink loop, or a directory given twice
    seen.add(real);
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (err) {
      throw new HuntInputError(
        `cannot read directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    for (const name of entries) {
      const p = join(dir, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(p);
      else if (st?.isFile() && LOG_FILE.test(name) && !DIGEST_FILE.test(name)) out.push(p);
    }
  };
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new HuntInputError(`cannot read ${p}: no such file or directory`);
    if (st.isDirectory()) walk(p);
    else if (st.isFile()) out.push(p);
    // A FIFO, socket or device would block or never end: only regular files are read.
    else throw new HuntInputError(`${p}: not a regular file (a pipe, socket or device is not read)`);
  }
  return out;
}

/** Opens a log file for reading: a descriptor, or one line naming why not (never a stream error). */
function openLog(path: string): { fd: number; gzip: boolean } {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (!fstatSync(fd).isFile()) throw new HuntInputError(`${path}: not a regular file`);
    const head = Buffer.alloc(2);
    const gzip = readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
    return { fd, gzip };
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    if (err instanceof HuntInputError) throw err;
    throw new HuntInputError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** A record hunt can match: a CloudTrail record, or an EventBridge envelope of one. */
function isCloudTrailRecord(r: Record<string, unknown>): boolean {
  if ('detail-type' in r && 'detail' in r) return r['detail'] !== null && typeof r['detail'] === 'object';
  return typeof r['eventName'] === 'string' && typeof r['eventSource'] === 'string';
}

export interface HuntOptions {
  overrides?: StatefulOverrides;
  /** Called after each file (progress on stderr). */
  onFile?: (path: string, records: number) => void;
}

/** Streams each record of one file into `onRecord`; resolves with (records, decompressed bytes). */
export async function streamRecords(
  path: string,
  onRecord: (record: CloudTrailRecord) => void | Promise<void>,
  opts: { maxRecordBytes?: number } = {},
): Promise<{ records: number; bytes: number }> {
  let records = 0;
  let bytes = 0;
  const pending: CloudTrailRecord[] = [];
  const splitter = new RecordSplitter((r, at) => {
    if (!isCloudTrailRecord(r)) {
      throw new RecordSyntaxError('not a CloudTrail record (no eventName and eventSource)', at);
    }
    pending.push(r as CloudTrailRecord);
  }, opts.maxRecordBytes);
  const { fd, gzip } = openLog(path);
  const raw = createReadStream('', { fd, highWaterMark: 1 << 20 });
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (err) => stream.destroy(err));
  const drain = async () => {
    for (const r of pending) {
      records++;
      const p = onRecord(r);
      if (p) await p;
    }
    pending.length = 0;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      splitter.push(chunk);
      await drain();
    }
    splitter.end();
    await drain();
  } catch (err) {
    raw.destroy();
    if (err instanceof RecordSyntaxError) throw new HuntInputError(`${path}: ${err.message}`);
    if (err instanceof HuntInputError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR')
      throw new HuntInputError(`${path}: not valid gzip (${e.message})`);
    if (e.code) throw new HuntInputError(`cannot read ${path}: ${e.code}`);
    throw err;
  }
  return { records, bytes };
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);

function toMatch(
  rule: Rule,
  record: CloudTrailRecord,
  file: string,
  extra: Partial<HuntMatch> = {},
): HuntMatch {
  // What is printed from the record never carries a key a caller put in it.
  return maskKeysDeep({
    ruleId: rule.id,
    title: rule.title,
    severity: rule.severity,
    kind: rule.kind,
    eventId: str(record.eventID),
    eventTime: str(record.eventTime),
    eventName: str(record.eventName),
    eventSource: str(record.eventSource),
    principal: principalOf(record),
    region: str(record.awsRegion),
    sourceIPAddress: str(record.sourceIPAddress),
    bearerToken: isBearerTokenCall(record),
    file,
    ...extra,
  });
}

/** Runs every rule over the files; matches sorted by event time, then rule id. */
export async function hunt(
  set: RuleSet,
  paths: readonly string[],
  opts: HuntOptions = {},
): Promise<HuntResult> {
  const files = listLogFiles(paths);
  const engine = new StatefulEngine(set.stateful, { overrides: opts.overrides });
  const matches: HuntMatch[] = [];
  const statefulOut: [StatefulMatch, HuntMatch][] = [];
  const summary: HuntResult['files'] = [];
  let scanned = 0;
  let dataEvents = 0;
  for (const file of files) {
    const fromStateful = (ms: StatefulMatch[]) => {
      for (const m of ms) {
        const out = toMatch(m.rule, m.record, file, {
          value: m.value,
          ...(m.regions ? { regions: m.regions } : {}),
        });
        matches.push(out);
        statefulOut.push([m, out]);
      }
    };
    const { records, bytes } = await streamRecords(file, (raw) => {
      const envelope = envelopeOf(raw);
      const record = recordOf(envelope);
      if (record.managementEvent === false || record.eventCategory === 'Data') dataEvents++;
      const candidates = set.bySource.get(envelope.source as string);
      if (candidates)
        for (const c of candidates) if (c.test(envelope)) matches.push(toMatch(c.rule, record, file));
      for (const c of set.anySource) if (c.test(envelope)) matches.push(toMatch(c.rule, record, file));
      const s = engine.observe(record, envelope);
      if (s instanceof Promise) return s.then(fromStateful);
      if (s.length > 0) fromStateful(s);
    });
    scanned += records;
    summary.push({ path: file, records, bytes });
    opts.onFile?.(file, records);
  }
  // What each stateful window reached by the end of the input (the engine raises its matches).
  for (const [m, out] of statefulOut) {
    const reached = engine.reached(m);
    out.value = reached.value;
    if (reached.regions) out.regions = reached.regions;
  }
  matches.sort(
    (a, b) =>
      (a.eventTime ?? '').localeCompare(b.eventTime ?? '') ||
      a.ruleId.localeCompare(b.ruleId) ||
      (a.eventId ?? '').localeCompare(b.eventId ?? ''),
  );
  const settings = engine.settings();
  return {
    generatedAt: new Date().toISOString(),
    matches,
    rules: set.rules.map(({ rule }) => ({
      id: rule.id,
      title: rule.title,
      severity: rule.severity,
      kind: rule.kind,
      ...(settings[rule.id]
        ? { threshold: settings[rule.id]!.threshold, windowSeconds: settings[rule.id]!.windowSeconds }
        : {}),
    })),
    scanned,
    dataEvents,
    files: summary,
  };
}
