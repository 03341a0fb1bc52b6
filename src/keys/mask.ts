/**
 * Masking keys in text that is printed: any key the decoder recognizes (long-term, short-term, an
 * `AWS_BEARER_TOKEN_*` assignment) is replaced by a label that keeps what identifies it (the alias,
 * the signing access key id, the variable name) and drops the secret. CloudTrail copies what a
 * caller sent into `userAgent`, `sourceIPAddress`, `requestParameters` and more; every command that
 * prints a record field masks it here first.
 */
import { findKeys, type KeyMatchValue, SCAN_PREFIXES } from './scan';

/** The label a masked key is printed as: no quote, backslash or control character (JSON-safe). */
export function maskLabel(v: KeyMatchValue): string {
  if (v.kind === 'long-term') return `[${v.service} API key ${v.alias}, secret masked]`;
  if (v.kind === 'short-term') return `[${v.service} short-term key signed by ${v.accessKeyId}, masked]`;
  return `${v.envVar}=[masked]`;
}

/** True when `text` may hold a key (a cheap pre-check: one of the scan prefixes occurs). */
function mayHoldKey(text: string): boolean {
  return SCAN_PREFIXES.some((p) => text.includes(p));
}

/** `text` with every recognized key replaced by its mask label. */
export function maskKeys(text: string): string {
  if (!mayHoldKey(text)) return text;
  const buf = Buffer.from(text, 'utf8');
  const matches = findKeys(buf);
  if (matches.length === 0) return text;
  const parts: Buffer[] = [];
  let at = 0;
  for (const m of matches) {
    if (m.offset < at) continue;
    parts.push(buf.subarray(at, m.offset), Buffer.from(maskLabel(m.value), 'utf8'));
    at = m.offset + m.length;
  }
  parts.push(buf.subarray(at));
  return Buffer.concat(parts).toString('utf8');
}

/** A parsed record (any JSON value) with every string, and every object key, masked. */
export function maskKeysDeep<T>(value: T): T {
  if (typeof value === 'string') return maskKeys(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskKeysDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[maskKeys(k)] = maskKeysDeep(v);
    return out as T;
  }
  return value;
}
