/**
 * Short-term Bedrock API keys made by AWS's own generator (`@aws/bedrock-token-generator`): a real
 * SigV4 presign of `CallWithBearerToken` with the given credentials, as a user's SDK makes it. The
 * generator signs at the wall-clock time; tests need the key issued at a moment of the simulator's
 * clock, so only `Date` is faked for the duration of the call.
 *
 * AWS's documented example credentials (IAM user guide, "Manage access keys") are built from parts:
 * no full key literal lives in the repository.
 */
import { getToken } from '@aws/bedrock-token-generator';
import { vi } from 'vitest';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** AWS's example long-term access key (an IAM user's `AKIA…`). */
export const EXAMPLE_USER_CREDENTIALS: SigningCredentials = {
  accessKeyId: ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join(''),
  secretAccessKey: ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/'),
};

/**
 * Example temporary credentials (`ASIA…` + session token). The key id is the one public research on
 * access key ids decodes to account 029608264753, so a decoder's account is checked against a
 * published value, not against itself.
 */
export const EXAMPLE_SESSION_CREDENTIALS: SigningCredentials = {
  accessKeyId: ['ASIA', 'QNZGKIQY56JQ7WML'].join(''),
  secretAccessKey: ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/'),
  sessionToken: ['IQoJb3JpZ2luX2VjEXAMPLE', 'SESSION', 'TOKEN+/='].join(''),
};

/** A short-term key signed by the official generator, issued at `issued`. */
export async function generatedShortTermKey(
  credentials: SigningCredentials,
  region: string,
  issued: Date,
  expiresInSeconds?: number,
): Promise<string> {
  vi.useFakeTimers({ toFake: ['Date'], now: issued });
  try {
    return await getToken({
      credentials,
      region,
      ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
    });
  } finally {
    vi.useRealTimers();
  }
}
