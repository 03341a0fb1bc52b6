/**
 * One key, one incident: the dispatch decision on the in-memory incident table (the DynamoDB table is
 * exercised over the wire in dynamo-stores.sim.test.ts, the whole path in test/local/incident.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  type DispatchEffects,
  decideDispatch,
  type ExecutionStatus,
  HOLDER_START_GRACE_MS,
  incidentKey,
  MemoryIncidentTable,
} from '../../src/pipeline/dispatch';
import { input, record } from './fixtures';

const USER = 'arn:aws:iam::123456789012:user/BedrockAPIKey-q7xk';

const use = (eventId: string, ruleId = 'BKS-010-BEDROCK', severity = 'LOW') => {
  const r = record('invoke-model-with-long-term-key');
  r['eventID'] = eventId;
  return input(ruleId, severity, r);
};

/**
 * Effects that record what dispatch asked for; executions run until `ended` names them, and do not
 * exist (yet) while `missing` names them.
 */
function effects(ended: Set<string> = new Set(), missing: Set<string> = new Set()) {
  const calls = { status: [] as string[], escalate: [] as string[] };
  const fx: DispatchEffects = {
    async status(name): Promise<ExecutionStatus> {
      calls.status.push(name);
      if (missing.has(name)) return 'MISSING';
      return ended.has(name) ? 'ENDED' : 'RUNNING';
    },
    async escalate({ signal }) {
      calls.escalate.push(`${signal.ruleId} ${signal.severity}`);
    },
  };
  return { fx, calls, ended };
}

describe('dispatch: one key, one incident', () => {
  const t0 = Date.parse('2026-11-20T12:00:00Z');

  it('the first signal opens the incident; later ones of any rule are recorded on it, never dropped', async () => {
    const table = new MemoryIncidentTable();
    const { fx, calls } = effects();
    const first = await decideDispatch(use('e1'), table, fx, 3600, t0);
    expect(first).toMatchObject({ name: 'BKS-010-BEDROCK-e1', start: true, reason: 'opened' });
    expect(first.key).toBe(`123456789012|${USER}`);
    expect(await decideDispatch(use('e2'), table, fx, 3600, t0 + 1000)).toMatchObject({
      start: false,
      reason: 'recorded',
    });
    // Another rule on the same key (here: the key's creation) joins the same incident.
    const created = input('BKS-003-BEDROCK', 'LOW', record('console-create-bedrock-api-key'));
    expect(await decideDispatch(created, table, fx, 3600, t0 + 2000)).toMatchObject({
      start: false,
      reason: 'recorded',
      key: first.key,
    });
    const state = await table.read(first.key!);
    expect(state?.signals).toEqual([
      {
        ruleId: 'BKS-003-BEDROCK',
        severity: 'LOW',
        first: '2026-11-02T09:14:06.000Z',
        last: '2026-11-02T09:14:06.000Z',
        count: 1,
        regions: ['us-east-1'],
      },
      {
        ruleId: 'BKS-010-BEDROCK',
        severity: 'LOW',
        first: '2026-11-09T02:13:44.000Z',
        last: '2026-11-09T02:13:44.000Z',
        count: 2,
        regions: ['us-west-2'],
      },
    ]);
    // Less or equally severe: nothing asked of Step Functions or Security Hub.
    expect(calls).toEqual({ status: [], escalate: [] });
  });

  it('a redelivery starts again (the execution name dedupes it) and is counted once', async () => {
    const table = new MemoryIncidentTable();
    const { fx } = effects();
    await decideDispatch(use('e1'), table, fx, 3600, t0);
    expect(await decideDispatch(use('e1'), table, fx, 3600, t0 + 1000)).toMatchObject({
      start: true,
      reason: 'opened',
    });
    const state = await table.read(incidentKey(use('e1'))!);
    expect(state?.signals[0]?.count).toBe(1);
  });

  it('a more severe signal escalates the running incident once; the same severity again only records', async () => {
    const table = new MemoryIncidentTable();
    const { fx, calls } = effects();
    await decideDispatch(use('e1'), table, fx, 3600, t0);
    const high = await decideDispatch(use('e2', 'BKS-019', 'HIGH'), table, fx, 3600, t0 + 1000);
    expect(high).toMatchObject({ start: false, reason: 'escalated' });
    expect(await decideDispatch(use('e3', 'BKS-019', 'HIGH'), table, fx, 3600, t0 + 2000)).toMatchObject({
      start: false,
      reason: 'recorded',
    });
    expect(calls.escalate).toEqual(['BKS-019 HIGH']);
    expect(calls.status).toEqual(['BKS-010-BEDROCK-e1']);
    expect((await table.read(high.key!))?.severity).toBe('HIGH');
    // Higher still (CRITICAL): escalates again.
    await decideDispatch(use('e4', 'BKS-099', 'CRITICAL'), table, fx, 3600, t0 + 3000);
    expect(calls.escalate).toEqual(['BKS-019 HIGH', 'BKS-099 CRITICAL']);
  });

  it('a more severe signal after the workflow ended starts a new workflow; an equal one does not', async () => {
    const table = new MemoryIncidentTable();
    const { fx, calls, ended } = effects();
    await decideDispatch(use('e1'), table, fx, 3600, t0);
    ended.add('BKS-010-BEDROCK-e1');
    expect(await decideDispatch(use('e2'), table, fx, 3600, t0 + 1000)).toMatchObject({
      start: false,
      reason: 'recorded',
    });
    const again = await decideDispatch(use('e3', 'BKS-019', 'HIGH'), table, fx, 3600, t0 + 2000);
    expect(again).toMatchObject({ name: 'BKS-019-e3', start: true, reason: 'handed-over' });
    const state = await table.read(again.key!);
    expect(state).toMatchObject({
      incident: 'BKS-010-BEDROCK-e1',
      execution: 'BKS-019-e3',
      executions: ['BKS-010-BEDROCK-e1', 'BKS-019-e3'],
      severity: 'HIGH',
    });
    expect(calls.escalate).toEqual([]);
    // The new workflow runs: a further HIGH signal is recorded only.
    expect((await decideDispatch(use('e4', 'BKS-019', 'HIGH'), table, fx, 3600, t0 + 3000)).start).toBe(
      false,
    );
  });

  it('a more severe signal before the holder exists escalates (it is starting); a minute later the holder never started and is taken over', async () => {
    // Two rules' copies of one event (a key created that never expires: BKS-003 LOW, BKS-004 HIGH)
    // reach dispatch in separate invocations: the HIGH one reads the incident the LOW one has just
    // opened, before that one's StartExecution has completed.
    const table = new MemoryIncidentTable();
    const missing = new Set(['BKS-010-BEDROCK-e1']);
    const { fx, calls } = effects(new Set(), missing);
    await decideDispatch(use('e1'), table, fx, 3600, t0);
    const high = await decideDispatch(use('e2', 'BKS-004', 'HIGH'), table, fx, 3600, t0 + 200);
    expect(high).toMatchObject({ start: false, reason: 'escalated' });
    expect(calls.escalate).toEqual(['BKS-004 HIGH']);
    // The incident's severity is raised on the record: the starting workflow imports its finding at it.
    expect(await table.read(high.key!)).toMatchObject({ execution: 'BKS-010-BEDROCK-e1', severity: 'HIGH' });
    // Still missing a minute after it took the incident: its start failed for good; a more severe
    // signal takes the incident over with a workflow of its own.
    const later = await decideDispatch(
      use('e3', 'BKS-099', 'CRITICAL'),
      table,
      fx,
      3600,
      t0 + HOLDER_START_GRACE_MS,
    );
    expect(later).toMatchObject({ name: 'BKS-099-e3', start: true, reason: 'handed-over' });
    const state = await table.read(later.key!);
    expect(state).toMatchObject({
      execution: 'BKS-099-e3',
      heldSince: new Date(t0 + HOLDER_START_GRACE_MS).toISOString(),
    });
    expect(calls.escalate).toEqual(['BKS-004 HIGH']);
  });

  it('another key opens its own incident; after the window the key opens a new one', async () => {
    const table = new MemoryIncidentTable();
    const { fx } = effects();
    await decideDispatch(use('e1'), table, fx, 3600, t0);
    const other = record('invoke-model-with-long-term-key');
    other['eventID'] = 'o1';
    (other['userIdentity'] as Record<string, unknown>)['userName'] = 'BedrockAPIKey-zz99';
    (other['userIdentity'] as Record<string, unknown>)['arn'] =
      'arn:aws:iam::123456789012:user/BedrockAPIKey-zz99';
    const d = await decideDispatch(input('BKS-010-BEDROCK', 'LOW', other), table, fx, 3600, t0 + 1000);
    expect(d).toMatchObject({
      start: true,
      reason: 'opened',
      key: '123456789012|arn:aws:iam::123456789012:user/BedrockAPIKey-zz99',
    });
    expect((await decideDispatch(use('e3'), table, fx, 3600, t0 + 3_700_000)).reason).toBe('opened');
  });

  it('never gates malformed input (the workflow sends it to the DLQ)', async () => {
    const table = new MemoryIncidentTable();
    const { fx } = effects();
    for (let i = 0; i < 3; i++) {
      expect(await decideDispatch({ ruleId: 'BKS-001', event: {} }, table, fx, 3600)).toMatchObject({
        start: true,
        reason: 'malformed',
      });
    }
    expect(table.incidents.size).toBe(0);
  });
});
