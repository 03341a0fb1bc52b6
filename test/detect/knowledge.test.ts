import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CloudTrailRecord,
  eventBridgeSource,
  isBearerTokenCall,
  isPhantomPrincipal,
  principalOf,
  tagEvent,
} from '../../src/detect/knowledge';

const sample = (name: string): CloudTrailRecord =>
  JSON.parse(readFileSync(new URL(`../../detections/samples/${name}`, import.meta.url), 'utf8'));

describe('event knowledge', () => {
  it('derives the EventBridge source from the CloudTrail event source', () => {
    expect(eventBridgeSource('iam.amazonaws.com')).toBe('aws.iam');
    expect(eventBridgeSource('bedrock-mantle.amazonaws.com')).toBe('aws.bedrock-mantle');
  });

  it('sees the bearer flag as a boolean or the string "true", in either place', () => {
    expect(isBearerTokenCall({ additionalEventData: { callWithBearerToken: true } })).toBe(true);
    expect(isBearerTokenCall({ additionalEventData: { callWithBearerToken: 'true' } })).toBe(true);
    expect(isBearerTokenCall({ requestParameters: { callWithBearerToken: 'TRUE' } })).toBe(true);
    expect(isBearerTokenCall({ requestParameters: { callWithBearerToken: false } })).toBe(false);
    expect(isBearerTokenCall({ requestParameters: null, additionalEventData: null })).toBe(false);
  });

  it('tags events from the rule tables', () => {
    expect(tagEvent(sample('invoke-model-with-long-term-key.json'))).toEqual(['invoke', 'bearer-token']);
    expect(tagEvent(sample('benign-invoke-model-sigv4.json'))).toEqual(['invoke']);
    expect(tagEvent(sample('access-key-created-on-phantom.json'))).toEqual([
      'credential-creation',
      'persistence',
    ]);
    expect(tagEvent({ eventName: 'AttachUserPolicy' })).toEqual(['privilege-escalation']);
    expect(tagEvent({ eventName: 'DeleteModelInvocationLoggingConfiguration' })).toEqual(['defense-evasion']);
    expect(tagEvent({ eventName: 'CreateProvisionedModelThroughput' })).toEqual(['cost']);
    expect(tagEvent({ eventName: 'PutUseCaseForModelAccess' })).toEqual(['recon', 'model-access']);
    expect(tagEvent({ eventName: 'ListFoundationModels', errorCode: 'AccessDenied' })).toEqual([
      'recon',
      'error',
    ]);
    expect(tagEvent({ eventName: 'GetCallerIdentity' })).toEqual(['discovery']);
    expect(tagEvent({ eventName: 'DescribeVpcs' })).toEqual(['discovery']);
    expect(tagEvent({})).toEqual([]);
  });

  it('names the principal and recognises phantom callers', () => {
    const r = sample('invoke-model-with-long-term-key.json');
    expect(principalOf(r)).toBe('arn:aws:iam::123456789012:user/BedrockAPIKey-q7xk');
    expect(isPhantomPrincipal(r)).toBe(true);
    expect(isPhantomPrincipal(sample('benign-invoke-model-sigv4.json'))).toBe(false);
    expect(principalOf({ userIdentity: null })).toBe('unknown');
  });
});
