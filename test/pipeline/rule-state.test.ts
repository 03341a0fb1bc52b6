import { describe, expect, it } from 'vitest';
import { loadPipelineRules } from '../../infra/rules';
import { compilePattern } from '../../src/detect/pattern';
import {
  CHANGE_EVENTS_NAMED_AS_READS,
  type ManagementEventKind,
  managementEventKind,
  READ_ONLY_EVENTS_NAMED_OTHERWISE,
  READ_ONLY_NAME_PREFIXES,
} from '../../src/detect/read-only-events';
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
  // must change this table too. No rule of detections/ pins its eventName to documented change
  // events only (the EventBridge guide's list of read-only events could be read only in part:
  // src/detect/read-only-events.ts), so every rule on CloudTrail API calls needs every management
  // event; its eventName filter still decides what matches.
  const EXPECTED: Record<string, string> = {
    'BKS-001': ALL, // CreateUser: not shown to be a change event by the guide's list
    'BKS-002': ALL, // Attach*Policy
    'BKS-003': ALL, // CreateServiceSpecificCredential
    'BKS-004': ALL,
    'BKS-005': ALL,
    'BKS-006': ALL, // CreateAccessKey, UploadSSHPublicKey, UploadSigningCertificate
    'BKS-007': ALL, // Create/UpdateLoginProfile
    'BKS-008': ALL, // Enable/Resync/DeactivateMFADevice
    'BKS-009': ALL, // AddUserToGroup, PutUserPolicy, DeleteUserPermissionsBoundary, AttachUserPolicy
    'BKS-010': ALL, // any call made with a bearer token, reads included
    'BKS-011': ALL, // Get*/List* reconnaissance
    'BKS-012': ALL, // Put*/CreateFoundationModelAgreement
    'BKS-013': ALL,
    'BKS-014': ALL,
    'BKS-015': ALL,
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
    expect(ruleStateFor({ ...call, detail: { eventName: ['GetSessionToken', 'GetUser'] } })).toBe(ALL);
    expect(ruleStateFor({ ...call, detail: { eventName: ['GetSessionToken'] } })).toBe('ENABLED');
    // Not in the part of the guide's list we could read: possibly read-only, so ALL.
    expect(ruleStateFor({ ...call, detail: { eventName: ['CreateUser'] } })).toBe(ALL);
    // No detail-type at all can still match API calls.
    expect(ruleStateFor({ source: ['aws.iam'], detail: { eventName: ['ListUsers'] } })).toBe(ALL);
  });

  it('follows $or branches: a branch without eventName opens the rule to every call', () => {
    const call = { 'detail-type': ['AWS API Call via CloudTrail'] };
    expect(
      ruleStateFor({
        ...call,
        detail: { $or: [{ eventName: ['GetSessionToken'] }, { eventName: ['GetFederationToken'] }] },
      }),
    ).toBe('ENABLED');
    expect(
      ruleStateFor({ ...call, detail: { $or: [{ eventName: ['GetSessionToken'] }, { userName: ['x'] }] } }),
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
  });
});

describe('managementEventKind: the EventBridge user guide’s read-only list, as data', () => {
  // Positive samples: read-only by the guide (named Describe/Get/List, or listed although named
  // otherwise), change events by its explicit word, and names the part of the list we read cannot
  // settle.
  const SAMPLES: Array<[string, ManagementEventKind]> = [
    ['ListFoundationModels', 'read-only'],
    ['GetFoundationModelAvailability', 'read-only'],
    ['DescribeTrails', 'read-only'],
    ['BatchGetQueryExecution', 'read-only'],
    ['ValidatePolicy', 'read-only'],
    ['UpdateApplicationDashboardConfiguration', 'read-only'], // named like a change, read-only
    ['TestEventPattern', 'read-only'],
    ['GetSessionToken', 'change'],
    ['GetFederationToken', 'change'],
    ['CreateUser', 'unproven'],
    ['InvokeModel', 'unproven'],
    ['AssumeRole', 'unproven'],
    ['UpdateApplication', 'unproven'], // a prefix of a listed name is not that name
  ];
  it.each(SAMPLES)('%s is %s', (name, kind) => {
    expect(managementEventKind(name)).toBe(kind);
  });

  it('holds the table rows read in the guide’s order, each once', () => {
    const names = READ_ONLY_EVENTS_NAMED_OTHERWISE.map(([, n]) => n);
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toBe('ResolveRoom');
    expect(names).toContain('ExportNotebook');
    // None of them starts with Describe/Get/List (those need no row).
    expect(names.filter((n) => READ_ONLY_NAME_PREFIXES.some((p) => n.startsWith(p)))).toEqual([]);
    expect(CHANGE_EVENTS_NAMED_AS_READS.every((n) => n.startsWith('Get'))).toBe(true);
  });

  it('a rule on a listed read-only name needs every management event; one on documented changes does not', () => {
    const call = { source: ['aws.sts'], 'detail-type': ['AWS API Call via CloudTrail'] };
    for (const [, name] of READ_ONLY_EVENTS_NAMED_OTHERWISE)
      expect(ruleStateFor({ ...call, detail: { eventName: [name] } }), name).toBe(ALL);
    expect(ruleStateFor({ ...call, detail: { eventName: [...CHANGE_EVENTS_NAMED_AS_READS] } })).toBe(
      'ENABLED',
    );
  });
});
