/**
 * Test harness for `bks-sim`: starts the simulator in-process on a free loopback port and builds
 * AWS SDK v3 client configs pointed at it (static credentials, any region).
 */
import type { Scenario } from '../../sim/scenario';
import { type SimHandle, startSim } from '../../sim/server';

export const ACCOUNT_A = '111111111111';
export const ACCOUNT_B = '222222222222';

export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
}

export function clientConfig(
  sim: SimHandle,
  accessKeyId = 'AKIDSIMTEST',
  extra: Partial<ClientConfig> = {},
): ClientConfig {
  return {
    endpoint: sim.url,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: 'not-a-secret' },
    ...extra,
  };
}

export async function withSim<T>(scenario: Scenario, fn: (sim: SimHandle) => Promise<T>): Promise<T> {
  const sim = await startSim({ scenario });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

/** The error an SDK call rejected with: name, code and HTTP status. */
export async function failure(
  p: Promise<unknown>,
): Promise<{ name: string; message: string; status: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode ?? 0 };
  }
  throw new Error('expected the call to fail');
}

/** Raw control-API call. */
export async function control(
  sim: SimHandle,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
