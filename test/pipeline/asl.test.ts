import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { STAGES } from '../../src/pipeline/finding-content';

const text = readFileSync(new URL('../../statemachines/response.asl.json', import.meta.url), 'utf8');

/** What CloudFormation puts in place of each `${…}` at deploy time. */
// biome-ignore lint/suspicious/noExplicitAny: an ASL document is walked freely in assertions
function substituted(): Record<string, any> {
  return JSON.parse(
    text.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
      if (name === 'Partition') return 'aws';
      if (name.endsWith('QueueUrl')) return 'https://sqs.eu-west-1.amazonaws.com/111111111111/bks-dlq';
      if (name.endsWith('TopicArn')) return 'arn:aws:sns:eu-west-1:111111111111:bks';
      return `arn:aws:lambda:eu-west-1:111111111111:function:${name}`;
    }),
  );
}

describe('statemachines/response.asl.json', () => {
  it('is valid Amazon States Language once its ARNs are substituted', () => {
    const result = aslValidator(substituted());
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('uses placeholders only for ARNs, URLs and the partition', () => {
    const names = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    for (const n of names) expect(n).toMatch(/(Arn|Url|^Partition)$/);
  });

  it('sends malformed input to the DLQ and a Fail state, never retrying on MalformedEvent', () => {
    const def = substituted();
    const normalize = def.States.Normalize;
    for (const r of normalize.Retry) expect(r.ErrorEquals).not.toContain('MalformedEvent');
    for (const r of normalize.Retry) expect(r.ErrorEquals).not.toContain('States.ALL');
    expect(normalize.Catch[0].Next).toBe('QuarantineMalformed');
    expect(def.States.QuarantineMalformed.Resource).toBe('arn:aws:states:::sqs:sendMessage');
    expect(def.States.QuarantineMalformed.Next).toBe('MalformedEvent');
    expect(def.States.MalformedEvent).toMatchObject({ Type: 'Fail', Error: 'MalformedEvent' });
  });

  it('Normalize sends only its own MalformedEvent to the DLQ; anything else after retries needs manual action', () => {
    const normalize = substituted().States.Normalize;
    expect(
      normalize.Catch.map((c: { ErrorEquals: string[]; Next: string }) => [c.ErrorEquals, c.Next]),
    ).toEqual([
      [['MalformedEvent'], 'QuarantineMalformed'],
      [['States.ALL'], 'NormalizeFailed'],
    ]);
  });

  it('gives every Task a Catch; whatever a step cannot handle ends in the one ManualAction path', () => {
    const def = substituted();
    const states = def.States as Record<
      string,
      { Type: string; Next?: string; Catch?: Array<{ Next: string }> }
    >;
    // Steps with a failure branch of their own: enrichment failing is recorded as unavailable, a
    // revocation or approval failing is closed on the finding and then released through ManualAction.
    const OWN_BRANCH: Record<string, string> = {
      Enrich: 'RaiseFinding',
      AskAnalyst: 'ApprovalFailed',
      Revoke: 'RevokeFailed',
      Contain: 'RevokeFailed',
      ManualAction: 'NotifyManualActionFallback',
      NotifyManualAction: 'ManualActionRequired',
      NotifyManualActionFallback: 'ManualActionRequired',
    };
    const reachesManualAction = (name: string, seen = new Set<string>()): boolean => {
      if (name === 'ManualAction') return true;
      if (seen.has(name)) return false;
      seen.add(name);
      const st = states[name]!;
      return st.Type === 'Pass' && !!st.Next && reachesManualAction(st.Next, seen);
    };
    for (const [name, st] of Object.entries(states)) {
      if (st.Type !== 'Task') continue;
      expect(st.Catch, name).toBeDefined();
      const last = st.Catch!.at(-1)!;
      expect((last as unknown as { ErrorEquals: string[] }).ErrorEquals, name).toEqual(['States.ALL']);
      if (name in OWN_BRANCH) expect(last.Next, name).toBe(OWN_BRANCH[name]);
      else expect(reachesManualAction(last.Next), `${name} -> ${last.Next}`).toBe(true);
    }
    // The closed failures (revoke-failed, approval-failed) release the gate through ManualAction too.
    const ended = def.States['Ended?'].Choices.map((c: { Next: string }) => c.Next);
    for (const n of ended) expect(reachesManualAction(n), n).toBe(true);
    expect(def.States.ManualAction.Parameters).toMatchObject({
      'input.$': '$$.Execution.Input',
      'execution.$': '$$.Execution.Name',
    });
    expect(def.States.ManualActionRequired).toMatchObject({ Type: 'Fail', Error: 'ManualActionRequired' });
  });

  it('waits for the analyst with a timeout and catches States.Timeout explicitly', () => {
    const ask = substituted().States.AskAnalyst;
    expect(ask.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(ask.TimeoutSeconds).toBeGreaterThan(0);
    expect(ask.Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
    expect(ask.Catch[0]).toEqual({
      ErrorEquals: ['States.Timeout'],
      ResultPath: '$.approvalError',
      Next: 'OnApprovalTimeout',
    });
  });

  it('retries revocation with backoff and then marks the finding for manual action', () => {
    const def = substituted();
    for (const name of ['Revoke', 'Contain']) {
      const st = def.States[name];
      expect(st.Retry[0].BackoffRate).toBeGreaterThan(1);
      expect(st.Retry[0].MaxAttempts).toBeGreaterThan(1);
      expect(st.Catch[0].Next).toBe('RevokeFailed');
    }
    expect(def.States.RevokeFailed.Next).toBe('CloseFinding');
  });

  it('ends every path through CloseFinding with a stage the finding notes know', () => {
    const def = substituted();
    const stages = Object.values(def.States as Record<string, { Type: string; Result?: { stage?: string } }>)
      .filter((st) => st.Type === 'Pass' && st.Result?.stage)
      .map((st) => st.Result!.stage);
    expect([...stages].sort()).toEqual([...STAGES].sort());
  });
});
