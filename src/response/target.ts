/**
 * What the responder typed: an API key (any format the service table knows), or an IAM user name.
 * A key is decoded offline (src/keys); its secret never leaves this function — the returned
 * target carries only the alias parts or the access key id.
 */
import { UsageError } from '../errors';
import { decodeKey, KeyDecodeError, unwrapKeyText } from '../keys';
import { SERVICES, serviceById } from '../services';
import type { RevokeTarget } from './revoke';

const IAM_USER_NAME = /^[\w+=,.@-]{1,64}$/;

export function looksLikeKey(text: string): boolean {
  const t = unwrapKeyText(text);
  return SERVICES.some((s) => t.startsWith(s.longTermPrefix) || t.startsWith(s.shortTermPrefix));
}

/** A key or a user name as a revoke target; bad input is a one-line usage error (exit 2). */
export function parseRevokeTarget(text: string, now: Date = new Date()): RevokeTarget {
  if (looksLikeKey(text)) {
    let key: ReturnType<typeof decodeKey>;
    try {
      key = decodeKey(text, { now });
    } catch (err) {
      if (err instanceof KeyDecodeError) throw new UsageError(`not a valid API key: ${err.message}`);
      throw err;
    }
    const service = serviceById(key.service);
    if (key.kind === 'long-term') {
      return {
        kind: 'long-term',
        service,
        accountId: key.accountId,
        userName: key.userName,
        credentialIndex: key.credentialIndex,
      };
    }
    return {
      kind: 'short-term',
      service,
      accountId: key.accountId,
      accessKeyId: key.accessKeyId,
      accessKeyType: key.accessKeyType as 'ASIA' | 'AKIA',
      region: key.region,
      issuedAt: key.issuedAt,
      expiresAt: key.expiresAt,
    };
  }
  const name = text.trim();
  if (!IAM_USER_NAME.test(name)) {
    throw new UsageError('expected an API key or an IAM user name ([\\w+=,.@-], 1 to 64 characters)');
  }
  return { kind: 'user', userName: name };
}
