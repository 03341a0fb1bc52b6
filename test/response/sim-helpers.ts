/**
 * Helpers for the incident-response tests against bks-sim: one in-process simulator per file,
 * the `bks` CLI run in-process with credentials that map to the sim's `secops` principal, bearer
 * calls over raw HTTP, and key texts built from parts (never a key literal in the repository).
 * Rate limits count on virtual time unless asked otherwise (SimEnvOptions.realTime).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import type { Scenario } from '../../sim/scenario';
import { type SimHandle, startSim } from '../../sim/server';
import { type BksRun, bks } from '../cli/bks-runner';
import { virtualTime } from '../helpers/virtual-time';

export const ACCT = '111111111111';
export const OTHER = '222222222222';
export const ADMIN_KEY = ['AKIA', 'SIMSECOPSKEY0001'].join('');
export const ADMIN_SECRET = ['not', 'a', 'real', 'secret'].join('-');
export const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
export const LIMITED = 'arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess';

/** Secrets of the seeded credentials, built at run time. */
export const secret = (tag: string) => ['bks', 'test', 'secret', tag, '0123456789abcdef'].join('-');

export function longTermKey(alias: string, secretText: string): string {
  return `ABSK${Buffer.from(`${alias}:${secretText}`).toString('base64')}`;
}

export function baseScenario(over: Partial<Scenario> = {}): Scenario {
  return {
    principals: [
      {
        accessKeyId: ADMIN_KEY,
        secretAccessKey: ADMIN_SECRET,
        account: ACCT,
        arn: `arn:aws:iam::${ACCT}:user/secops`,
      },
    ],
    ...over,
  } as Scenario;
}

export interface SimEnv {
  sim: SimHandle;
  dir: string;
  /** Runs `bks` against the sim (credentials of `secops`, region us-east-1). */
  run(args: string[]): Promise<BksRun>;
  /** A bearer call to the simulated Bedrock runtime: HTTP status. */
  invoke(key: string, region?: string): Promise<number>;
  state(): Promise<SimStateView>;
  control(method: string, path: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export interface SimStateView {
  accounts: {
    id: string;
    users: {
      name: string;
      id?: string;
      accessKeys?: { id: string; status: string }[];
      serviceCredentials?: { id: string; status: string; alias?: string }[];
      inlinePolicies?: Record<string, unknown>;
      managedPolicies?: string[];
      groups?: string[];
    }[];
    roles: { name: string; inlinePolicies?: Record<string, unknown> }[];
    events?: Record<string, unknown>[];
  }[];
}

export interface SimEnvOptions {
  /**
   * Rate limits on the real clock: bks's limiter sleeps its waits and bks-sim refills its budgets in
   * real time. By default both count on one virtual clock that the limiter's waits move on at once
   * (test/helpers/virtual-time.ts): the same calls, paced and judged the same, without the idle.
   */
  realTime?: boolean;
}

export async function simEnv(scenario: Scenario, opts: SimEnvOptions = {}): Promise<SimEnv> {
  const time = opts.realTime ? undefined : virtualTime();
  const sim = await startSim({ scenario, ...(time ? { waitClock: time.waitClock } : {}) });
  const dir = mkdtempSync(join(tmpdir(), 'bks-response-'));
  vi.stubEnv('AWS_ACCESS_KEY_ID', ADMIN_KEY);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', ADMIN_SECRET);
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_ENDPOINT_URL', '');
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json();
  };
  return {
    sim,
    dir,
    run: (args) => bks([...args, '--endpoint-url', sim.url, '--region', 'us-east-1']),
    async invoke(key, region) {
      const res = await fetch(`${sim.url}/model/${encodeURIComponent(MODEL)}/invoke`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          ...(region ? { 'x-bks-sim-region': region } : {}),
        },
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      await res.arrayBuffer();
      return res.status;
    },
    state: async () => (await control('GET', '/_sim/state')) as SimStateView,
    control,
    async close() {
      vi.unstubAllEnvs();
      time?.restore();
      await sim.close();
    },
  };
}

export function userOf(state: SimStateView, name: string, account = ACCT) {
  return state.accounts.find((a) => a.id === account)?.users.find((u) => u.name === name);
}

export function readJsonFile<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Every text a run produced, for the "no secret anywhere" assertions. */
export function allText(...parts: (BksRun | string)[]): string {
  return parts.map((p) => (typeof p === 'string' ? p : `${p.stdout}\n${p.stderr}`)).join('\n');
}
