import { describe, expect, it } from 'vitest';
import { decideDispatch, dispatchKey, MemoryDispatchGate } from '../../src/pipeline/dispatch';
import { input, record } from './fixtures';

const use = (eventId: string) => {
  const r = record('invoke-model-with-long-term-key');
  r['eventID'] = eventId;
  return input('BKS-010-BEDROCK', 'LOW', r);
};

describe('dispatch', () => {
  it('starts one workflow per rule and key within the window; a redelivery of the first event may start again', async () => {
    const gate = new MemoryDispatchGate();
    const t0 = Date.parse('2026-11-20T12:00:00Z');
    const first = await decideDispatch(use('e1'), gate, 3600, t0);
    expect(first).toMatchObject({ name: 'BKS-010-BEDROCK-e1', start: true });
    expect((await decideDispatch(use('e2'), gate, 3600, t0 + 1000)).start).toBe(false);
    // The same event again (EventBridge redelivery after a failed start): allowed, the name dedupes it.
    expect((await decideDispatch(use('e1'), gate, 3600, t0 + 2000)).start).toBe(true);
    // After the window, the next use opens a new incident.
    expect((await decideDispatch(use('e3'), gate, 3600, t0 + 3_700_000)).start).toBe(true);
  });

  it('keys on rule, account and key: another rule or another key is not gated', async () => {
    const gate = new MemoryDispatchGate();
    await decideDispatch(use('e1'), gate, 3600);
    const other = record('console-create-bedrock-api-key');
    expect((await decideDispatch(input('BKS-003-BEDROCK', 'LOW', other), gate, 3600)).start).toBe(true);
    expect(dispatchKey(use('e1'))).toBe(
      'BKS-010-BEDROCK|123456789012|arn:aws:iam::123456789012:user/BedrockAPIKey-q7xk',
    );
  });

  it('never gates malformed input (the workflow sends it to the DLQ)', async () => {
    const gate = new MemoryDispatchGate();
    for (let i = 0; i < 3; i++) {
      expect((await decideDispatch({ ruleId: 'BKS-001', event: {} }, gate, 3600)).start).toBe(true);
    }
    expect(gate.held.size).toBe(0);
  });
});
