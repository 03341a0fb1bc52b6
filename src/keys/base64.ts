/**
 * Strict standard base64 (RFC 4648 §4): every character must be in the alphabet (Node's decoder
 * silently drops or maps the rest, which would turn garbage into "keys"), padding is optional and
 * re-added, and a length that no encoder can produce is refused.
 */
import { Rejected } from './errors';

/** 1 for each byte of the standard base64 alphabet (`A-Z a-z 0-9 + /`). */
export const BASE64_BYTE: Uint8Array<ArrayBuffer> = (() => {
  const table = new Uint8Array(256);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = 1;
  return table;
})();

/** Decodes strict base64, or says why not; `what` names the field (`after the ABSK prefix`). */
export function decodeBase64(text: string, what: string): Buffer | Rejected {
  let end = text.length;
  let pad = 0;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */ && pad < 2) {
    end--;
    pad++;
  }
  if (end === 0) return new Rejected(`nothing to decode ${what}`);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 255 || BASE64_BYTE[c] !== 1) return new Rejected(`not base64 ${what}`);
  }
  const rem = end % 4;
  if (rem === 1) return new Rejected(`truncated base64 ${what}`);
  if (pad > 0 && (end + pad) % 4 !== 0) return new Rejected(`wrong base64 padding ${what}`);
  return Buffer.from(end === text.length ? text : text.slice(0, end), 'base64');
}
