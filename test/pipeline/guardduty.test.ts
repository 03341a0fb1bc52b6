/**
 * GuardDuty AI Protection findings through the same workflow (issue: GuardDuty): BKS-019 matches the
 * model-invocation finding types (its samples, positive and negative, are in detections/BKS-019.json);
 * normalize turns a finding into the incident of the key or phantom user it names; on a phantom user
 * it is that user's bearer-use incident, so a CloudTrail bearer call and a GuardDuty finding on one
 * key open ONE incident (the incident table) and write ONE finding (the finding id is the incident's).
 */
import { describe, expect, it } from 'vitest';
import { compilePattern } from '../../src/detect/pattern';
import { loadRules } from '../../src/detect/rule-files';
import { type DispatchEffects, decideDispatch, MemoryIncidentTable } from '../../src/pipeline/dispatch';
import { incidentFinding } from '../../src/pipeline/finding';
import { normalize } from '../../src/pipeline/incident';

const rule = loadRules().find((r) => r.id === 'BKS-019')!;
const [phantomFinding, roleFinding] = rule.samples.match as unknown as Array<Record<string, unknown>>;

const bearerCall = (userName: string) => ({
  ruleId: 'BKS-010-BEDROCK',
  severity: 'LOW',
  event: {
    version: '0',
    id: 'eb-1',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.bedrock',
    account: '123456789012',
    region: 'us-east-1',
    time: '2026-11-09T03:00:00Z',
    detail: {
      eventVersion: '1.11',
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLEGDUSER001',
        arn: `arn:aws:iam::123456789012:user/${userName}`,
        accountId: '123456789012',
        userName,
      },
      eventTime: '2026-11-09T03:00:00Z',
      eventSource: 'bedrock.amazonaws.com',
      eventName: 'InvokeModel',
      awsRegion: 'us-east-1',
      eventID: 'ct-event-1',
      additionalEventData: { callWithBearerToken: true },
      recipientAccountId: '123456789012',
    },
  },
});

describe('GuardDuty AI Protection findings', () => {
  it('BKS-019 matches the AI Protection model-invocation finding types only', () => {
    expect(rule.pattern).toEqual({
      source: ['aws.guardduty'],
      'detail-type': ['GuardDuty Finding'],
      detail: {
        type: [
          'Impact:IAMUser/AnomalousModelInvocation',
          'Impact:IAMUser/CostHarvesting',
          'Impact:IAMUser/PromptInjection.Direct',
        ],
      },
    });
    const test = compilePattern(rule.pattern as never);
    for (const s of rule.samples.match) expect(test(s as never)).toBe(true);
    for (const s of rule.samples.noMatch) expect(test(s as never)).toBe(false);
  });

  it("a finding on a phantom user becomes that user's bearer-use incident, with the GuardDuty evidence", () => {
    const incident = normalize({ ruleId: 'BKS-019', severity: 'HIGH', event: phantomFinding });
    expect(incident).toMatchObject({
      ruleId: 'BKS-010-BEDROCK',
      severity: 'HIGH',
      account: '123456789012',
      target: { kind: 'service-credential', userName: 'BedrockAPIKey-q7xk', service: 'bedrock' },
      guardDuty: { findingType: 'Impact:IAMUser/AnomalousModelInvocation', matchedRule: 'BKS-019' },
    });
    const finding = incidentFinding(incident, undefined, 'us-east-1');
    expect(finding.Description).toContain('GuardDuty finding Impact:IAMUser/AnomalousModelInvocation');
    expect(finding.ProductFields?.['bks/GuardDutyFindingType']).toBe(
      'Impact:IAMUser/AnomalousModelInvocation',
    );
  });

  it('a finding on an assumed role targets the short-term keys of its session', () => {
    const incident = normalize({ ruleId: 'BKS-019', severity: 'HIGH', event: roleFinding });
    expect(incident.ruleId).toBe('BKS-019');
    expect(incident.target).toMatchObject({ kind: 'short-term', accessKeyId: 'ASIAEXAMPLEGDKEY0001' });
  });

  it('a CloudTrail bearer call and a GuardDuty finding on one phantom: one incident, one finding, escalated', async () => {
    const escalations: string[] = [];
    const fx: DispatchEffects = {
      status: async () => 'RUNNING',
      escalate: async ({ signal }) => {
        escalations.push(`${signal.ruleId} ${signal.severity} ${signal.title}`);
      },
    };
    const table = new MemoryIncidentTable();
    const viaCloudTrail = bearerCall('BedrockAPIKey-q7xk');
    const viaGuardDuty = { ruleId: 'BKS-019', severity: 'HIGH', event: phantomFinding };
    const first = await decideDispatch(viaCloudTrail, table, fx, 86_400, 0);
    const second = await decideDispatch(viaGuardDuty, table, fx, 86_400, 1000);
    expect(first.start).toBe(true);
    // The finding joins the LOW incident and, more severe, escalates it (its workflow runs).
    expect(second).toMatchObject({ start: false, reason: 'escalated', key: first.key });
    expect(escalations).toEqual(['BKS-019 HIGH Impact:IAMUser/AnomalousModelInvocation']);
    expect((await table.read(first.key!))?.signals.map((s) => s.ruleId)).toEqual([
      'BKS-010-BEDROCK',
      'BKS-019',
    ]);
    const ids = [viaCloudTrail, viaGuardDuty].map(
      (i) => incidentFinding(normalize(i), undefined, 'us-east-1').Id,
    );
    expect(ids[0]).toBe(ids[1]);
    // In the other order too: the finding opens the incident, the (less severe) call is recorded on it.
    const table2 = new MemoryIncidentTable();
    expect((await decideDispatch(viaGuardDuty, table2, fx, 86_400, 0)).start).toBe(true);
    expect(await decideDispatch(viaCloudTrail, table2, fx, 86_400, 1000)).toMatchObject({
      start: false,
      reason: 'recorded',
    });
    expect(escalations).toHaveLength(1);
  });
});
