/**
 * The pipeline recognizes a `bks selftest` canary only by its recorded run id, never by the name
 * alone; any doubt is an ordinary incident.
 */
import { describe, expect, it } from 'vitest';
import { type CanaryRecord, canaryRunIdOf, recognizeCanary } from '../../src/pipeline/canary';
import type { Incident } from '../../src/pipeline/incident';
import { canaryDecision, DEFAULT_POLICY } from '../../src/pipeline/policy';

const RUN = 'k3v9q2m8x1';
const USER = `BedrockAPIKey-bks-canary-${RUN}`;
const NOW = new Date('2026-12-07T08:00:00Z');

const incident = (over: Partial<Incident> = {}): Incident => ({
  incidentId: `BKS-001-BEDROCK:e1`,
  ruleId: 'BKS-001-BEDROCK',
  severity: 'LOW',
  eventId: 'e1',
  eventName: 'CreateUser',
  eventSource: 'iam.amazonaws.com',
  eventTime: '2026-12-07T07:59:30Z',
  account: '111111111111',
  region: 'us-east-1',
  partition: 'aws',
  principal: { type: 'AssumedRole', arn: 'arn:aws:sts::111111111111:assumed-role/bks-selftest/s' },
  target: { kind: 'user', userName: USER },
  ...over,
});

const record = (over: Partial<CanaryRecord> = {}): CanaryRecord => ({
  runId: RUN,
  account: '111111111111',
  userName: USER,
  createdAt: '2026-12-07T07:59:00Z',
  createdBy: 'arn:aws:sts::111111111111:assumed-role/bks-selftest/s',
  ttl: Math.floor(NOW.getTime() / 1000) + 3600,
  ...over,
});

const lookup = (r: CanaryRecord | undefined) => async (id: string) => (r && r.runId === id ? r : undefined);

describe('recognizeCanary', () => {
  it('a canary user with its recorded run id is a canary', async () => {
    const v = await recognizeCanary(incident(), lookup(record()), NOW);
    expect(v).toEqual({ canary: true, record: record() });
    if (v.canary) expect(canaryDecision(v.record, DEFAULT_POLICY)).toMatchObject({ action: 'canary' });
  });

  it('events up to the close of the run are still the canary (late deliveries)', async () => {
    const v = await recognizeCanary(incident(), lookup(record({ closedAt: '2026-12-07T07:59:45Z' })), NOW);
    expect(v.canary).toBe(true);
  });

  it('the key of the canary user (bearer use) is recognized through its owner', async () => {
    const v = await recognizeCanary(
      incident({ target: { kind: 'service-credential', userName: USER, credentialId: 'ACCAX' } }),
      lookup(record()),
      NOW,
    );
    expect(v.canary).toBe(true);
  });

  it.each([
    ['no record (an attacker picked the name)', lookup(undefined), incident()],
    ['a record of another account', lookup(record({ account: '222222222222' })), incident()],
    [
      'a record naming another user',
      lookup(record({ userName: 'BedrockAPIKey-bks-canary-zzzzzzzzzz' })),
      incident(),
    ],
    [
      'an event before the record',
      lookup(record({ createdAt: '2026-12-07T07:59:00Z' })),
      incident({ eventTime: '2026-12-07T07:50:00Z' }),
    ],
    [
      'an event after the run closed (a new user under the canary name)',
      lookup(record({ closedAt: '2026-12-07T07:59:10Z' })),
      incident(),
    ],
    ['an expired record', lookup(record({ ttl: Math.floor(NOW.getTime() / 1000) - 1 })), incident()],
    ['an unreadable table', async () => Promise.reject(new Error('AccessDenied')), incident()],
    ['no table configured', undefined, incident()],
    [
      'an ordinary phantom',
      lookup(record()),
      incident({ target: { kind: 'user', userName: 'BedrockAPIKey-q7xk' } }),
    ],
  ])('%s → not a canary', async (_name, look, inc) => {
    const v = await recognizeCanary(inc, look, NOW);
    expect(v.canary).toBe(false);
  });

  it('run ids are exactly 10 lower-case letters or digits', () => {
    expect(canaryRunIdOf(USER)).toBe(RUN);
    expect(canaryRunIdOf(`${USER}x`)).toBeUndefined();
    expect(canaryRunIdOf('BedrockAPIKey-bks-canary-ABCDEFGHIJ')).toBeUndefined();
    expect(canaryRunIdOf(undefined)).toBeUndefined();
  });
});
