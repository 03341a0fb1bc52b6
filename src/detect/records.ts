/**
 * Streaming CloudTrail record splitter. Accepts, in any mix and in chunks of any size:
 * - CloudTrail log files `{"Records":[ {…}, {…} ]}` (the array is split element by element, so a
 *   500 MB file never becomes one string),
 * - a top-level JSON array of records,
 * - one record per line (JSON Lines), or concatenated / pretty-printed record objects.
 * Each record's bytes are parsed with JSON.parse on their own; memory holds one record at a time.
 * Errors name the byte offset and line of the offending record and quote nothing of the input (a
 * record may hold a secret). A record that spans chunks is assembled in a buffer that grows by
 * doubling, so a huge record costs linear work; one longer than `maxRecordBytes` (default
 * `MAX_RECORD_BYTES`) is refused as soon as it passes the limit.
 */

/** The longest record accepted: CloudTrail's own records are far smaller (tens of KB at most). */
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;

export interface RecordPosition {
  /** Byte offset of the record's first byte in the (decompressed) input. */
  offset: number;
  /** 1-based line of the record's first byte. */
  line: number;
}

export class RecordSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: RecordPosition,
  ) {
    super(`${message} at line ${position.line} (byte ${position.offset})`);
    this.name = 'RecordSyntaxError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const NEWLINE = 0x0a;

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const EMPTY = Buffer.alloc(0);
const RECORDS_KEY = Buffer.from('"Records"');

/**
 * Feed chunks with `push`, then call `end`. `onRecord` receives each parsed record (any JSON
 * object) with its position. Throws RecordSyntaxError on malformed input.
 */
export class RecordSplitter {
  /** The live bytes: `store[0…len)`; `buf` is a view of them. */
  private store: Buffer = EMPTY;
  private len = 0;
  private buf: Buffer = EMPTY;
  /** Whether `store` is ours to write into (else it is the caller's chunk). */
  private owned = false;
  /** A store of ours kept for reuse while scanning a caller's chunk in place. */
  private spare: Buffer | undefined;
  /** Bytes copied to assemble records across chunks (linear in the input: see the tests). */
  copiedBytes = 0;
  /** Absolute offset of buf[0]. */
  private base = 0;
  /** Where scanning resumes in buf. */
  private pos = 0;
  private line = 1;
  private depth = 0;
  private inString = false;
  /** Depth at which a `{` starts a record: 0 top-level objects, 1 top-level array, 2 wrapper's Records; -1 none. */
  private recordDepth = 0;
  private recStart = -1;
  private recLine = 0;
  /** Set when the top-level `{` is the `{"Records":[` wrapper. */
  private inWrapper = false;

  constructor(
    private readonly onRecord: (record: Record<string, unknown>, at: RecordPosition) => void,
    private readonly maxRecordBytes = MAX_RECORD_BYTES,
  ) {}

  push(chunk: Buffer): void {
    if (this.buf.length === this.pos && this.recStart < 0) {
      // Nothing pending: scan the chunk in place (it is the caller's: never written to).
      this.base += this.len;
      if (this.owned) this.spare = this.store;
      this.store = chunk;
      this.owned = false;
      this.len = chunk.length;
      this.pos = 0;
    } else {
      const keepFrom = this.recStart >= 0 ? Math.min(this.recStart, this.pos) : this.pos;
      const keep = this.len - keepFrom;
      const need = keep + chunk.length;
      if (this.owned && need <= this.store.length) {
        if (keepFrom > 0) {
          this.store.copyWithin(0, keepFrom, this.len);
          this.copiedBytes += keep;
        }
      } else {
        // Grow by doubling: a record spanning many chunks is copied O(1) times on average.
        const grown =
          this.spare && this.spare.length >= need && this.spare !== this.store
            ? this.spare
            : Buffer.allocUnsafe(Math.max(2 * need, 64 * 1024));
        this.spare = undefined;
        this.store.copy(grown, 0, keepFrom, this.len);
        this.copiedBytes += keep;
        this.store = grown;
        this.owned = true;
      }
      chunk.copy(this.store, keep);
      this.copiedBytes += chunk.length;
      this.len = need;
      this.base += keepFrom;
      this.pos -= keepFrom;
      if (this.recStart >= 0) this.recStart -= keepFrom;
    }
    this.buf = this.store.subarray(0, this.len);
    this.scan(false);
    if (this.recStart >= 0 && this.len - this.recStart > this.maxRecordBytes) {
      throw new RecordSyntaxError(`record over ${Math.round(this.maxRecordBytes / 1048576)} MiB`, {
        offset: this.base + this.recStart,
        line: this.recLine,
      });
    }
  }

  end(): void {
    this.scan(true);
    if (this.inString || this.depth !== 0 || this.recStart >= 0) {
      throw new RecordSyntaxError('unexpected end of input (truncated JSON)', {
        offset: this.base + (this.recStart >= 0 ? this.recStart : this.pos),
        line: this.recStart >= 0 ? this.recLine : this.line,
      });
    }
  }

  private fail(message: string, i: number): never {
    throw new RecordSyntaxError(message, { offset: this.base + i, line: this.line });
  }

  private scan(final: boolean): void {
    const b = this.buf;
    const n = b.length;
    let i = this.pos;
    while (i < n) {
      if (this.inString) {
        let j = b.indexOf(QUOTE, i);
        while (j >= 0) {
          let k = j - 1;
          while (k >= i && b[k] === BACKSLASH) k--;
          if ((j - 1 - k) % 2 === 0) break;
          j = b.indexOf(QUOTE, j + 1);
        }
        if (j < 0) {
          // The string continues in the next chunk; keep its trailing backslashes for the escape check.
          let k = n - 1;
          while (k >= i && b[k] === BACKSLASH) k--;
          i = n - ((n - 1 - k) % 2);
          break;
        }
        this.inString = false;
        i = j + 1;
        continue;
      }
      const c = b[i] as number;
      if (c === QUOTE) {
        if (this.depth === 0) this.fail('unexpected string outside a record', i);
        this.inString = true;
        i++;
      } else if (c === LBRACE || c === LBRACKET) {
        if (this.depth === 0) {
          if (c === LBRACKET) {
            this.recordDepth = 1;
          } else {
            // Decide between the {"Records":[ wrapper and a record object: peek at the first key.
            let k = i + 1;
            while (k < n && isWs(b[k] as number)) k++;
            const need = k + RECORDS_KEY.length;
            if (need > n && !final) break;
            let wrapper = false;
            if (need <= n && b.subarray(k, need).equals(RECORDS_KEY)) {
              let m = need;
              while (m < n && isWs(b[m] as number)) m++;
              if (m < n && b[m] === 0x3a) {
                m++;
                while (m < n && isWs(b[m] as number)) m++;
                if (m >= n && !final) break;
                wrapper = b[m] === LBRACKET;
                if (!wrapper) this.fail('Records is not an array (not a CloudTrail log file)', m);
              } else if (m >= n && !final) {
                break;
              }
            }
            this.inWrapper = wrapper;
            this.recordDepth = wrapper ? 2 : 0;
          }
        }
        if (this.depth === this.recordDepth && this.recStart < 0) {
          if (c !== LBRACE) this.fail('expected a CloudTrail record object', i);
          this.recStart = i;
          this.recLine = this.line;
        }
        this.depth++;
        i++;
      } else if (c === RBRACE || c === RBRACKET) {
        if (this.depth === 0) this.fail('unexpected closing bracket', i);
        this.depth--;
        if (this.recStart >= 0 && this.depth === this.recordDepth) {
          this.emit(this.recStart, i + 1);
          this.recStart = -1;
        } else if (this.inWrapper && this.depth === 1 && c === RBRACKET) {
          this.recordDepth = -1;
        }
        if (this.depth === 0) {
          this.recordDepth = 0;
          this.inWrapper = false;
        }
        i++;
      } else if (c === NEWLINE) {
        this.line++;
        i++;
      } else if (this.depth === 0 && !isWs(c) && c !== 0x2c) {
        if (i === 0 && this.base === 0 && c === 0xef) {
          i += 3; // UTF-8 byte order mark
        } else {
          this.fail('unexpected character outside a record', i);
        }
      } else if (
        this.depth === this.recordDepth &&
        this.recStart < 0 &&
        !isWs(c) &&
        c !== 0x2c &&
        c !== 0x3a
      ) {
        this.fail('expected a CloudTrail record object', i);
      } else {
        i++;
      }
    }
    this.pos = i;
  }

  private emit(start: number, end: number): void {
    const text = this.buf.toString('utf8', start, end);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the input: name the position only.
      throw new RecordSyntaxError('malformed JSON in the record starting', {
        offset: this.base + start,
        line: this.recLine,
      });
    }
    this.onRecord(value as Record<string, unknown>, { offset: this.base + start, line: this.recLine });
  }
}
