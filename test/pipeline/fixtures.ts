/** Envelopes built from the shared CloudTrail samples, for the pipeline tests. */
import { readFileSync } from 'node:fs';

/** A copy of a shared sample record (test/pipeline/samples), fresh each call. */
export function record(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./samples/${name}.json`, import.meta.url), 'utf8'));
}

export function envelope(detail: Record<string, unknown>): Record<string, unknown> {
  const source = `aws.${String(detail['eventSource']).split('.')[0]}`;
  return {
    version: '0',
    id: `env-${String(detail['eventID'])}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source,
    account: detail['recipientAccountId'],
    time: detail['eventTime'],
    region: detail['awsRegion'],
    resources: [],
    detail,
  };
}

export function input(ruleId: string, severity: string, detail: Record<string, unknown>) {
  return { ruleId, severity, event: envelope(detail) };
}
