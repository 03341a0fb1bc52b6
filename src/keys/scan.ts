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
  KEY_WINDOW_CHARS,
  Rejected,
  secretFingerprint,
  tryDecodeLongTerm,
  tryDecodeShortTerm,
} from './decode';

/** The prefix of an environment variable holding a bearer key (the SDKs build `AWS_BEARER_TOKEN_<signing name>`). */
export const BEARER_ENV_PREFIX = 'AWS_BEARER_TOKEN_';

/** Longest candidate considered (a short-term key with a large session token is ~3–4 KB). */
export const MAX_CANDIDATE_LENGTH: number = 16 * 1024;

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
  /** The part of `bytes` that is searched for (from `anchorOffset` on); the bytes before it are compared. */
  anchor: Buffer;
  anchorOffset: number;
  matcher: Matcher;
}

/**
 * How often a byte starts a stop of the native substring search in source text and base64:
 * `A` is base64's zero digit (runs of it fill encoded binary), lowercase letters and digits are
 * everywhere; other uppercase letters and punctuation are rarer. The search looks for each prefix
 * from its first rare byte on (`ABSK` → `BSK`, `bedrock-api-key-` → `-api-key-`), so a file full of
 * `AAAA…` does not stop the search at every byte.
 */
function commonness(byte: number): number {
  if (byte === 0x41) return 3;
  if (/[etaoinsr]/.test(String.fromCharCode(byte))) return 2;
  if (/[a-z0-9 ]/.test(String.fromCharCode(byte))) return 1;
  return 0;
}

const MIN_ANCHOR_LENGTH = 3;

function anchorOffsetOf(prefix: Buffer): number {
  let best = 0;
  for (let j = 1; j <= prefix.length - MIN_ANCHOR_LENGTH; j++) {
    if (commonness(prefix[j]!) < commonness(prefix[best]!)) best = j;
  }
  return best;
}

function base64RunEnd(buf: Buffer, from: number, end: number, max = MAX_CANDIDATE_LENGTH): number {
  const limit = Math.min(end, from + max);
  let i = from;
  while (i < limit && BASE64_BYTE[buf[i]!] === 1) i++;
  let pad = 0;
  while (i < limit && pad < 2 && buf[i] === 61) {
    i++;
    pad++;
  }
  return i;
}

/** 6-bit value of each base64 byte, 255 for the rest. */
const B64_VALUE = (() => {
  const t = new Uint8Array(256).fill(255);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
})();

const scratch = new Uint8Array(KEY_WINDOW_CHARS);

/** Decodes up to `max` bytes of the base64 at `buf[from…]` into `scratch`, without allocating; returns the count. */
function decodeHead(buf: Buffer, from: number, end: number, max: number): number {
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = from; i < end && n < max; i++) {
    const v = B64_VALUE[buf[i]!]!;
    if (v === 255) break;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      scratch[n++] = (acc >> bits) & 0xff;
    }
  }
  return n;
}

/**
 * Cheap early rejection on the first decoded bytes, before any string is made: most prefix hits
 * inside other base64 (or prose) are not keys, and this says so in a few hundred nanoseconds.
 * `true` means "decode it fully" (the full decoder has the last word).
 */
type HeadCheck = (buf: Buffer, pos: number, end: number) => boolean;

/** Long-term: the framing bytes, then a printable alias that ends with `:` within 85 bytes. */
function longTermHead(service: KeyBearingService): HeadCheck {
  const framing = service.longTermFraming;
  const skip = framing.length > 0 ? 0 : service.longTermPrefix.length;
  const max = framing.length + 86;
  return (buf, pos, end) => {
    const n = decodeHead(buf, pos + skip, end, max);
    for (let i = 0; i < n; i++) {
      const b = scratch[i]!;
      if (i < framing.length) {
        if (b !== framing[i]) return false;
      } else if (b === 0x3a) {
        return i > framing.length;
      } else if (b < 0x21 || b > 0x7e) {
        return false;
      }
    }
    return n < max; // the run ended before the window: let the decoder name the reason
  };
}

/** Short-term: the decoded URL starts with the service's host (or `https://` and the host). */
function shortTermHead(service: KeyBearingService): HeadCheck {
  const forms = [Buffer.from(service.shortTermHost), Buffer.from(`https://${service.shortTermHost}`)];
  const max = Math.max(...forms.map((f) => f.length));
  return (buf, pos, end) => {
    const n = decodeHead(buf, pos + service.shortTermPrefix.length, end, max);
    return forms.some((f) => {
      for (let i = 0; i < Math.min(n, f.length); i++) if (scratch[i] !== f[i]) return false;
      return true;
    });
  };
}

function keyMatcher(
  service: KeyBearingService,
  prefix: string,
  headOk: HeadCheck,
  decode: (service: KeyBearingService, text: string, opts: ScanOptions) => DecodedKey | Rejected,
): Matcher {
  return (buf, pos, end, opts) => {
    const from = pos + prefix.length;
    if (from >= end || B64_VALUE[buf[from]!] === 255) return undefined;
    if (!headOk(buf, pos, end)) return undefined;
    const stop = base64RunEnd(buf, from, end);
    const value = decode(service, buf.toString('latin1', pos, stop), opts);
    return value instanceof Rejected ? undefined : { length: stop - pos, value };
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
/** Documentation placeholders (`your-key-here`, `xxxxxxxx`, `<redacted>`): not credentials. */
const PLACEHOLDER = /your|here|example|placeholder|changeme|redacted|dummy|xxxx|\.\.\./i;

const bearerMatcher: Matcher = (buf, pos, end, opts) => {
  if (opts.bearerAssignments === false) return undefined;
  let i = pos + BEARER_ENV_PREFIX.length;
  const nameLimit = Math.min(end, i + 128);
  while (i < nameLimit && NAME_BYTE[buf[i]!] === 1) i++;
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
  if (PLACEHOLDER.test(text)) return undefined;
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
    const bytes = Buffer.from(prefix, 'latin1');
    const anchorOffset = anchorOffsetOf(bytes);
    needles.push({ bytes, anchor: bytes.subarray(anchorOffset), anchorOffset, matcher });
  };
  for (const s of SERVICES) {
    add(s.shortTermPrefix, keyMatcher(s, s.shortTermPrefix, shortTermHead(s), tryDecodeShortTerm));
    add(s.longTermPrefix, keyMatcher(s, s.longTermPrefix, longTermHead(s), tryDecodeLongTerm));
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
    // Search only the filled part (the reused buffer holds stale bytes after `end`).
    const view = buf.subarray(0, end);
    for (const needle of NEEDLES) {
      const { anchor, anchorOffset, bytes } = needle;
      let a = view.indexOf(anchor, anchorOffset);
      while (a !== -1) {
        const p = a - anchorOffset;
        if (p >= safeEnd) break;
        let same = true;
        for (let k = 0; k < anchorOffset; k++) {
          if (buf[p + k] !== bytes[k]) {
            same = false;
            break;
          }
        }
        if (same) {
          if (hits === undefined) hits = [];
          hits.push({ pos: p, needle });
        }
        a = view.indexOf(anchor, a + 1);
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
    const view = buf.subarray(0, to);
    for (;;) {
      const nl = view.indexOf(10, p);
      if (nl === -1) break;
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

export const DEFAULT_CHUNK_SIZE: number = 8 * 1024 * 1024;

/** A reusable read buffer (one per scan, so a directory walk allocates once). */
export class ReadBuffer {
  buf: Buffer;
  constructor(size: number = DEFAULT_CHUNK_SIZE) {
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
