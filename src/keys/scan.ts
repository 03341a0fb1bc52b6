/**
 * The fast key scanner: find every key of every service in bytes, decode and validate each
 * candidate, and compute line and column only for the hits.
 *
 * How it stays close to `grep -E` speed: the bytes are never converted to strings; each prefix of
 * the service table is located with `Buffer.indexOf` (a native substring search); a candidate is
 * the run of base64 characters after its prefix, decoded with the same strict decoder as
 * `bks decode-key` (so a random base64 string after `ABSK` is not a key); newlines are counted only
 * up to the hits. Files are read in large chunks into one reused buffer, with an overlap that lets a
 * key straddle a chunk boundary.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { type KeyBearingService, SERVICES, type ServiceId } from '../services';
import { BASE64_BYTE } from './base64';
import {
  type DecodedKey,
  decodeLongTerm,
  decodeShortTerm,
  KeyDecodeError,
  secretFingerprint,
} from './decode';

/** The prefix of an environment variable holding a bearer key (the SDKs build `AWS_BEARER_TOKEN_<signing name>`). */
export const BEARER_ENV_PREFIX = 'AWS_BEARER_TOKEN_';

/** Longest candidate considered (a short-term key with a large session token is ~3–4 KB). */
export const MAX_CANDIDATE_LENGTH = 16 * 1024;

/** An `AWS_BEARER_TOKEN_*` assignment whose value is not itself a decodable key. */
export interface BearerAssignment {
  service: ServiceId | 'unknown';
  kind: 'bearer-env-assignment';
  envVar: string;
  secretSha256: string;
  secretLength: number;
}

export type KeyMatchValue = DecodedKey | BearerAssignment;

export interface KeyMatch {
  /** Byte offset of the match in the scanned input. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column in UTF-16 code units (SARIF's default column kind). */
  column: number;
  /** Length of the matched text in bytes (never the text). */
  length: number;
  value: KeyMatchValue;
}

export interface ScanOptions {
  /** Clock for `expired` (default: now). */
  now?: Date;
  /** Report `AWS_BEARER_TOKEN_*=` assignments whose value is not a key (default true). */
  bearerAssignments?: boolean;
}

export interface ScanStats {
  /** Prefix occurrences examined. */
  candidates: number;
  /** Candidates that did not decode (not keys). */
  rejected: number;
}

type Matcher = (
  buf: Buffer,
  pos: number,
  end: number,
  opts: ScanOptions,
) => { length: number; value: KeyMatchValue } | undefined;

interface Needle {
  bytes: Buffer;
  matcher: Matcher;
}

function base64RunEnd(buf: Buffer, from: number, end: number): number {
  const limit = Math.min(end, from + MAX_CANDIDATE_LENGTH);
  let i = from;
  while (i < limit && BASE64_BYTE[buf[i]!] === 1) i++;
  let pad = 0;
  while (i < limit && pad < 2 && buf[i] === 61) {
    i++;
    pad++;
  }
  return i;
}

function keyMatcher(
  service: KeyBearingService,
  prefix: string,
  decode: (service: KeyBearingService, text: string, opts: ScanOptions) => DecodedKey,
): Matcher {
  return (buf, pos, end, opts) => {
    const stop = base64RunEnd(buf, pos + prefix.length, end);
    if (stop === pos + prefix.length) return undefined;
    try {
      const value = decode(service, buf.toString('latin1', pos, stop), opts);
      return { length: stop - pos, value };
    } catch (err) {
      if (err instanceof KeyDecodeError) return undefined;
      throw err;
    }
  };
}

const NAME_BYTE = (() => {
  const t = new Uint8Array(256);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_') t[c.charCodeAt(0)] = 1;
  return t;
})();
/** Characters a literal bearer value is made of (anything else — `$`, `{`, `(`, `<` — is a reference or code). */
const VALUE_BYTE = (() => {
  const t = new Uint8Array(256);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_.~-:')
    t[c.charCodeAt(0)] = 1;
  return t;
})();
const MIN_BEARER_VALUE_LENGTH = 8;

const bearerMatcher: Matcher = (buf, pos, end, opts) => {
  if (opts.bearerAssignments === false) return undefined;
  let i = pos + BEARER_ENV_PREFIX.length;
  while (i < end && NAME_BYTE[buf[i]!] === 1) i++;
  const envVar = buf.toString('latin1', pos, i);
  if (i === pos + BEARER_ENV_PREFIX.length) return undefined;
  // `NAME=`, `NAME: `, `"NAME": `, `["NAME"] = `, `NAME := `
  if (buf[i] === 34 || buf[i] === 39) i++;
  if (buf[i] === 93) i++;
  while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
  if (buf[i] === 58 && buf[i + 1] === 61) i += 2;
  else if (buf[i] === 61 || buf[i] === 58) i++;
  else return undefined;
  if (buf[i] === 61 || buf[i] === 62) return undefined; // `==`, `=>`: a comparison or an arrow, not an assignment
  while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
  if (buf[i] === 34 || buf[i] === 39 || buf[i] === 96) i++;
  const start = i;
  const limit = Math.min(end, start + MAX_CANDIDATE_LENGTH);
  while (i < limit && VALUE_BYTE[buf[i]!] === 1) i++;
  if (i - start < MIN_BEARER_VALUE_LENGTH) return undefined;
  // A terminator that makes the value code rather than a literal (`os.getenv(`, `${VAR}`).
  const next = buf[i];
  if (next === 40 || next === 36 || next === 123 || next === 91) return undefined;
  const value = buf.subarray(start, i);
  const text = value.toString('latin1');
  // A value that is a key is reported as that key by its own prefix.
  for (const s of SERVICES) {
    if (text.startsWith(s.longTermPrefix) || text.startsWith(s.shortTermPrefix)) {
      const k = findKeys(value, opts);
      if (k.length > 0 && k[0]!.offset === 0) return undefined;
    }
  }
  return {
    length: i - pos,
    value: {
      service: SERVICES.find((s) => s.bearerEnvVar === envVar)?.id ?? 'unknown',
      kind: 'bearer-env-assignment',
      envVar,
      secretSha256: secretFingerprint(value),
      secretLength: value.length,
    },
  };
};

function buildNeedles(): Needle[] {
  const needles: Needle[] = [];
  const seen = new Set<string>();
  const add = (prefix: string, matcher: Matcher) => {
    if (seen.has(prefix)) throw new Error(`two key formats share the prefix ${prefix}`);
    seen.add(prefix);
    needles.push({ bytes: Buffer.from(prefix, 'latin1'), matcher });
  };
  for (const s of SERVICES) {
    add(s.shortTermPrefix, keyMatcher(s, s.shortTermPrefix, decodeShortTerm));
    add(s.longTermPrefix, keyMatcher(s, s.longTermPrefix, decodeLongTerm));
  }
  add(BEARER_ENV_PREFIX, bearerMatcher);
  return needles;
}

const NEEDLES = buildNeedles();

/** The literal prefixes the scanner looks for (the benchmark gives the same ones to grep). */
export const SCAN_PREFIXES: readonly string[] = NEEDLES.map((n) => n.bytes.toString('latin1'));

/** Longest prefix + candidate: the overlap kept between chunks. */
const OVERLAP = MAX_CANDIDATE_LENGTH + Math.max(...NEEDLES.map((n) => n.bytes.length)) + 64;

/**
 * Incremental scanner over one input read in chunks. `push` a window of bytes with its absolute
 * offset; the scanner reports matches that start before `safeEnd` and tells the caller where the
 * next window must start.
 */
class ChunkScanner {
  private line = 1;
  private lineStart = 0; // absolute offset of the current line's start
  private counted = 0; // absolute offset up to which newlines are counted
  private consumedUntil = 0; // absolute end of the last match (hits inside it are skipped)
  readonly matches: KeyMatch[] = [];
  readonly stats: ScanStats = { candidates: 0, rejected: 0 };

  constructor(private readonly opts: ScanOptions) {}

  /**
   * Scans `buf[0, end)` (absolute offset `base`). Returns the buffer index from which the caller
   * must keep bytes for the next window (`end` when `final`).
   */
  scan(buf: Buffer, end: number, base: number, final: boolean): number {
    const safeEnd = final ? end : Math.max(0, end - OVERLAP);
    let hits: { pos: number; needle: Needle }[] | undefined;
    for (const needle of NEEDLES) {
      let p = buf.indexOf(needle.bytes, 0);
      while (p !== -1 && p < safeEnd) {
        if (hits === undefined) hits = [];
        hits.push({ pos: p, needle });
        p = buf.indexOf(needle.bytes, p + 1);
      }
    }
    if (hits) {
      if (hits.length > 1) hits.sort((a, b) => a.pos - b.pos);
      for (const { pos, needle } of hits) {
        if (base + pos < this.consumedUntil) continue;
        this.stats.candidates++;
        const m = needle.matcher(buf, pos, end, this.opts);
        if (!m) {
          this.stats.rejected++;
          continue;
        }
        this.advanceLines(buf, base, pos);
        const colStart = Math.max(this.lineStart - base, 0);
        const column =
          this.lineStart >= base
            ? buf.toString('utf8', colStart, pos).length + 1
            : base + pos - this.lineStart + 1;
        this.matches.push({ offset: base + pos, line: this.line, column, length: m.length, value: m.value });
        this.consumedUntil = base + pos + m.length;
      }
    }
    // Newlines in the part that leaves the window must be counted now if the input goes on.
    if (!final) this.advanceLines(buf, base, safeEnd);
    return safeEnd;
  }

  /** Counts newlines from `counted` up to buffer index `to`. */
  private advanceLines(buf: Buffer, base: number, to: number): void {
    let p = this.counted - base;
    if (p < 0) p = 0;
    while (p < to) {
      const nl = buf.indexOf(10, p);
      if (nl === -1 || nl >= to) break;
      this.line++;
      this.lineStart = base + nl + 1;
      p = nl + 1;
    }
    if (base + to > this.counted) this.counted = base + to;
  }
}

/** Finds, decodes and validates every key in a whole input. */
export function findKeys(data: Buffer | string, opts: ScanOptions = {}): KeyMatch[] {
  return scanBytes(data, opts).matches;
}

/** `findKeys` with the candidate statistics. */
export function scanBytes(
  data: Buffer | string,
  opts: ScanOptions = {},
): { matches: KeyMatch[]; stats: ScanStats } {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const scanner = new ChunkScanner(opts);
  scanner.scan(buf, buf.length, 0, true);
  return { matches: scanner.matches, stats: scanner.stats };
}

/** True when the first bytes hold a NUL (git's binary heuristic). */
export function looksBinary(buf: Buffer, end: number): boolean {
  const n = Math.min(end, 8000);
  return buf.subarray(0, n).indexOf(0) !== -1;
}

export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

/** A reusable read buffer (one per scan, so a directory walk allocates once). */
export class ReadBuffer {
  buf: Buffer;
  constructor(size = DEFAULT_CHUNK_SIZE) {
    this.buf = Buffer.allocUnsafe(Math.max(size, OVERLAP * 4));
  }
}

/**
 * Scans a file in chunks. Returns `binary` when its first bytes look binary (nothing is reported
 * for it). `size` is the size from `stat`, used to read small files in one call.
 */
export function scanFile(
  path: string,
  opts: ScanOptions,
  rb: ReadBuffer = new ReadBuffer(),
): { matches: KeyMatch[]; stats: ScanStats; bytes: number } | 'binary' {
  const fd = openSync(path, 'r');
  try {
    const scanner = new ChunkScanner(opts);
    const buf = rb.buf;
    let filled = 0; // bytes in buf
    let base = 0; // absolute offset of buf[0]
    let total = 0;
    let checkedBinary = false;
    for (;;) {
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      total += n;
      filled += n;
      if (!checkedBinary && (n === 0 || filled >= 8000 || filled === buf.length)) {
        checkedBinary = true;
        if (looksBinary(buf, filled)) return 'binary';
      }
      if (n === 0) {
        scanner.scan(buf, filled, base, true);
        return { matches: scanner.matches, stats: scanner.stats, bytes: total };
      }
      if (filled === buf.length) {
        const keep = scanner.scan(buf, filled, base, false);
        buf.copy(buf, 0, keep, filled);
        base += keep;
        filled -= keep;
      }
    }
  } finally {
    closeSync(fd);
  }
}
