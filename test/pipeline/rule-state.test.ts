import { describe, expect, it } from 'vitest';
import { loadPipelineRules } from '../../infra/rules';
import { compilePattern } from '../../src/detect/pattern';
import { loadRules } from '../../src/detect/rule-files';
import { envelopeOf } from '../../src/detect/rules';
import {
  ALL_MANAGEMENT_EVENTS,
  CLOUDTRAIL_API_CALL,
  isChangeEvent,
  possibleEventNames,
  ruleStateFor,
} from '../../src/pipeline/rule-state';

const RULES = loadPipelineRules();
const ALL = ALL_MANAGEMENT_EVENTS;

describe('ruleStateFor: every rule of detections/', () => {
  // Written out by hand from each rule's eventName filter, so a rule edit that changes the state
  // must change this table too.
  const EXPECTED: Record<string, string> = {
    'BKS-001': 'ENABLED', // CreateUser
    'BKS-002': 'ENABLED', // Attach*Policy
    'BKS-003': 'ENABLED', // CreateServiceSpecificCredential
    'BKS-004': 'ENABLED',
    'BKS-005': 'ENABLED',
    'BKS-006': 'ENABLED', // CreateAccessKey, UploadSSHPublicKey, UploadSigningCertificate
    'BKS-007': 'ENABLED', // Create/UpdateLoginProfile
    'BKS-008': 'ENABLED', // Enable/Resync/DeactivateMFADevice
    'BKS-009': 'ENABLED', // AddUserToGroup, PutUserPolicy, DeleteUserPermissionsBoundary, AttachUserPolicy
    'BKS-010': ALL, // any call made with a bearer token, reads included
    'BKS-011': ALL, // Get*/List* reconnaissance
    'BKS-012': 'ENABLED', // Put*/CreateFoundationModelAgreement
    'BKS-013': 'ENABLED',
    'BKS-014': 'ENABLED',
    'BKS-015': 'ENABLED',
    'BKS-016': ALL, // any call by a phantom user outside Bedrock
    'BKS-017': ALL, // InvokeModel and friends are read-only in CloudTrail
    'BKS-018': ALL,
    'BKS-019': 'ENABLED', // GuardDuty findings are not CloudTrail management events
  };

  it.each(RULES.map((r) => [r.id, r] as const))('%s', (id, rule) => {
    const family = id.replace(/-(BEDROCK|CLAUDE-PLATFORM)$/, '');
    expect(EXPECTED[family], `no expectation for ${family}`).toBeDefined();
    expect(ruleStateFor(rule.pattern)).toBe(EXPECTED[family]);
  });

  it('gives ALL to every rule that matches a read call among all samples (readOnly or not Create/Delete/…)', () => {
    const records = loadRules().flatMap((r) => [...r.samples.match, ...r.samples.noMatch]);
    let reads = 0;
    for (const record of records) {
      if (
        record.readOnly !== true &&
        (typeof record.eventName !== 'string' || isChangeEvent(record.eventName))
      )
        continue;
      const event = envelopeOf(record);
      if (event['detail-type'] !== CLOUDTRAIL_API_CALL) continue;
      for (const rule of RULES) {
        if (!compilePattern(rule.pattern)(event)) continue;
        reads++;
        expect(ruleStateFor(rule.pattern), `${rule.id} on ${record.eventName}`).toBe(ALL);
      }
    }
    expect(reads).toBeGreaterThan(10);
  });
});

describe('ruleStateFor: the pipeline’s own rules and edge cases', () => {
  it('keeps custom events, alarm state changes and Security Hub custom actions ENABLED', () => {
    expect(ruleStateFor({ source: ['bks.detect'], 'detail-type': ['Threshold Crossed'] })).toBe('ENABLED');
    expect(
      ruleStateFor({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] }),
    ).toBe('ENABLED');
    expect(
      ruleStateFor({ source: ['aws.securityhub'], 'detail-type': ['Security Hub Findings - Custom Action'] }),
    ).toBe('ENABLED');
  });

  it('needs ALL when eventName is missing, an operator, or one name of a list is a read', () => {
    const call = { 'detail-type': ['AWS API Call via CloudTrail'] };
    expect(ruleStateFor({ ...call, detail: {} })).toBe(ALL);
    expect(ruleStateFor({ ...call, detail: { eventName: [{ prefix: 'Create' }] } })).toBe(ALL);
    expect(ruleStateFor({ ...call, detail: { eventName: ['CreateUser', 'GetUser'] } })).toBe(ALL);
    expect(ruleStateFor({ ...call, detail: { eventName: ['CreateUser'] } })).toBe('ENABLED');
    // No detail-type at all can still match API calls.
    expect(ruleStateFor({ source: ['aws.iam'], detail: { eventName: ['ListUsers'] } })).toBe(ALL);
  });

  it('follows $or branches: a branch without eventName opens the rule to every call', () => {
    const call = { 'detail-type': ['AWS API Call via CloudTrail'] };
    expect(
      ruleStateFor({
        ...call,
        detail: { $or: [{ eventName: ['CreateUser'] }, { eventName: ['PutUserPolicy'] }] },
      }),
    ).toBe('ENABLED');
    expect(
      ruleStateFor({ ...call, detail: { $or: [{ eventName: ['CreateUser'] }, { userName: ['x'] }] } }),
    ).toBe(ALL);
    expect(possibleEventNames({ eventName: ['A', 'B'], $or: [{ eventName: ['B'] }, {}] })).toEqual([
      'B',
      'A',
    ]);
  });

  it('knows the documented exceptions to the Get/List/Describe naming', () => {
    expect(isChangeEvent('GetSessionToken')).toBe(true);
    expect(isChangeEvent('GetFederationToken')).toBe(true);
    expect(isChangeEvent('UpdateApplicationDashboardConfiguration')).toBe(false);
    expect(isChangeEvent('GetUser')).toBe(false);
    expect(isChangeEvent('InvokeModel')).toBe(false);
    expect(isChangeEvent('BatchGetSchema')).toBe(false);
    expect(isChangeEvent('Settle')).toBe(false); // "Set" must be a whole verb
  });
});
