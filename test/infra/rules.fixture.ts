/** A small rule set shaped like `detections/` for the infra tests (IAM, Bedrock, mantle, stateful). */
import type { PipelineRule } from '../../src/pipeline/rules';

export const FIXTURE_RULES: PipelineRule[] = [
  {
    id: 'BKS-001',
    title: 'Bedrock API key created',
    severity: 'HIGH',
    kind: 'pattern',
    deploy: 'us-east-1',
    pattern: {
      source: ['aws.iam'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['iam.amazonaws.com'], eventName: ['CreateServiceSpecificCredential'] },
    },
  },
  {
    id: 'BKS-010',
    title: 'Bedrock called with a bearer token',
    severity: 'MEDIUM',
    kind: 'pattern',
    deploy: 'all-regions',
    pattern: {
      source: ['aws.bedrock'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { additionalEventData: { callWithBearerToken: [true, 'true'] } },
    },
  },
  {
    id: 'BKS-020',
    title: 'Burst of bearer-token calls',
    severity: 'HIGH',
    kind: 'stateful',
    deploy: 'all-regions',
    pattern: {
      source: ['aws.bedrock', 'aws.bedrock-mantle'],
      'detail-type': ['AWS API Call via CloudTrail'],
    },
    stateful: { type: 'count', threshold: 100, windowSeconds: 300 },
  },
];
