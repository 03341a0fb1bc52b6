/**
 * AWS account id from an access key id, offline (bedrock-api-keys.md §1): base32-decode the 16
 * characters after the 4-letter prefix, take the first 6 bytes big-endian as v, and the account is
 * `(v & 0x7fffffffff80) >> 7`. Valid for `AKIA`/`ASIA` ids issued since ~2019; online, the same
 * answer comes from `sts:GetAccessKeyInfo`.
 */

/** The access key id types a short-term key can be signed with. */
export const ACCESS_KEY_ID_TYPES = ['ASIA', 'AKIA'] as const;
export type AccessKeyIdType = (typeof ACCESS_KEY_ID_TYPES)[number];

export const ACCESS_KEY_ID_PATTERN: RegExp = /^(ASIA|AKIA)[A-Z2-7]{16}$/;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function accountFromAccessKeyId(id: string): string | undefined {
  if (!ACCESS_KEY_ID_PATTERN.test(id)) return undefined;
  // 16 base32 characters = 80 bits; the first 48 are all we need.
  let v = 0;
  for (let i = 4; i < 4 + 10; i++) {
    // 10 characters = 50 bits; keep the top 48 by dividing out the last 2 afterwards.
    v = v * 32 + BASE32.indexOf(id[i]!);
  }
  v = Math.floor(v / 4); // top 48 bits, big-endian
  const masked = v % 2 ** 47; // & 0x7fffffffffff (bit 47 dropped)
  const account = Math.floor(masked / 2 ** 7); // & …ff80 >> 7
  return String(account).padStart(12, '0');
}

/** The 12-digit account id as a key id of a type would carry it (inverse of the above; for tests and fixtures). */
export function accessKeyIdForAccount(type: AccessKeyIdType, account: string, random: Uint8Array): string {
  if (!/^\d{12}$/.test(account)) throw new RangeError('account must be 12 digits');
  // 80 bits: [1 bit random][40 bits account][7 bits random][32 bits random]
  const acct = Number(account);
  const high48 = (random[0]! & 1) * 2 ** 47 + acct * 2 ** 7 + (random[1]! & 0x7f);
  let bits = '';
  bits += high48.toString(2).padStart(48, '0');
  for (let i = 2; i < 6; i++) bits += (random[i] ?? 0).toString(2).padStart(8, '0');
  let out = type as string;
  for (let i = 0; i < 80; i += 5) out += BASE32[Number.parseInt(bits.slice(i, i + 5), 2)];
  return out;
}
