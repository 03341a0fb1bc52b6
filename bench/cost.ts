/**
 * Monthly AWS cost of the real-time pipeline for 10k, 1M and 100M CloudTrail events a day, from
 * public us-east-1 list prices (no free tiers, no discounts). Run: `npx tsx bench/cost.ts`.
 *
 * Prices (USD) and where they were read (November 2026):
 * - Step Functions Standard: $0.025 per 1,000 state transitions — aws.amazon.com/step-functions/pricing/
 * - EventBridge: AWS management events on the default bus are ingested and matched free —
 *   aws.amazon.com/eventbridge/pricing/; delivery to a bus in another account or region and custom
 *   events (PutEvents): $1.00 per million — cloudburn.io/blog/amazon-eventbridge-pricing (March 2026)
 * - Lambda (arm64): $0.20 per million requests, $0.0000133334 per GB-second —
 *   aws.amazon.com/lambda/pricing/ (arm64 rate as tabulated by artillery's lambda prices.js)
 * - DynamoDB on-demand: $0.625 per million write request units, $0.125 per million read request
 *   units — aws.amazon.com/dynamodb/pricing/on-demand/
 * - SQS standard: $0.40 per million requests — cloudburn.io/blog/amazon-sqs-pricing (March 2026)
 * - SNS standard topics: $0.50 per million publishes (+ email delivery $2.00 per 100,000) —
 *   factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/
 * - Security Hub finding ingestion: $0.00003 per event after 10,000 free per account, region and
 *   month — AWS Security Hub CSPM price list as quoted in aws-gcr-wwso-security.gitbook.io
 */

export const PRICES = {
  sfnTransition: 0.025 / 1000,
  ebDelivery: 1.0 / 1e6,
  ebCustomEvent: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  ddbWrite: 0.625 / 1e6,
  ddbRead: 0.125 / 1e6,
  sqsRequest: 0.4 / 1e6,
  snsPublish: 0.5 / 1e6,
  snsEmail: 2.0 / 1e5,
  securityHubEvent: 0.00003,
} as const;

/** What a day of CloudTrail traffic makes the pipeline do (stated, adjustable assumptions). */
export interface Assumptions {
  /** Share of CloudTrail events that are Bedrock/Claude Platform bearer-token calls. */
  bearerShare: number;
  /** Share of events that match one of the other (pattern) rules: key lifecycle, phantom changes, recon. */
  otherMatchShare: number;
  /** New incidents (distinct rule × key within the 24 h incident window) per million events. */
  incidentsPerMillion: number;
  /** Minimum incidents a day. */
  minIncidentsPerDay: number;
  /** Forwarding rules each bearer call matches (key used + volume + multi-region). */
  bearerRuleCopies: number;
  /** Stateful rules each bearer call is counted by. */
  statefulRules: number;
  /** Share of forwarded copies that cross a region or account (billed); same-region copies are free. */
  billedForwardShare: number;
  /** Lambda memory (GB) and average durations (s). */
  memoryGb: number;
  consumerSeconds: number;
  stepSeconds: number;
  enrichSeconds: number;
  reconcileSeconds: number;
  /** Workflow state transitions per incident (ask → approve → revoke → close, counted on the ASL). */
  transitionsPerIncident: number;
  /** Lambda invocations per incident (7 workflow tasks + GET and POST on the approval link). */
  invocationsPerIncident: number;
  /** Security Hub ingestion events per incident (import + workflow update). */
  findingEventsPerIncident: number;
  /** SNS publishes per incident (approval request + outcome) and email subscribers. */
  publishesPerIncident: number;
  emailSubscribers: number;
  days: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  bearerShare: 0.05,
  otherMatchShare: 0.0005,
  incidentsPerMillion: 10,
  minIncidentsPerDay: 1,
  bearerRuleCopies: 3,
  statefulRules: 2,
  billedForwardShare: 1,
  memoryGb: 0.25,
  consumerSeconds: 0.03,
  stepSeconds: 0.2,
  enrichSeconds: 2,
  reconcileSeconds: 30,
  transitionsPerIncident: 14,
  invocationsPerIncident: 9,
  findingEventsPerIncident: 2,
  publishesPerIncident: 2,
  emailSubscribers: 3,
  days: 30,
};

export type CostLine =
  | 'EventBridge'
  | 'Lambda'
  | 'DynamoDB'
  | 'Step Functions'
  | 'Security Hub'
  | 'SNS'
  | 'SQS';

export function monthlyCost(
  eventsPerDay: number,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
): Record<CostLine, number> {
  const d = a.days;
  const bearer = eventsPerDay * a.bearerShare;
  const other = eventsPerDay * a.otherMatchShare;
  const incidents = Math.max(a.minIncidentsPerDay, (eventsPerDay / 1e6) * a.incidentsPerMillion);
  // EventBridge: rule matching on the default bus is free for AWS management events; copies
  // delivered to the central bus are billed; threshold events are custom events (negligible).
  const forwarded = (bearer * a.bearerRuleCopies + other) * a.billedForwardShare;
  const eventbridge = d * (forwarded * PRICES.ebDelivery + incidents * PRICES.ebCustomEvent);
  // Lambda: stateful consumer per bearer call and stateful rule; dispatcher per pattern match;
  // workflow tasks per incident; reconciliation 24 runs a day.
  const consumer = bearer * a.statefulRules;
  const dispatch = bearer + other;
  const steps = incidents * a.invocationsPerIncident;
  const requests = consumer + dispatch + steps + 24;
  const gbSeconds =
    a.memoryGb *
    (consumer * a.consumerSeconds +
      dispatch * a.consumerSeconds +
      incidents * ((a.invocationsPerIncident - 1) * a.stepSeconds + a.enrichSeconds) +
      24 * a.reconcileSeconds);
  const lambda = d * (requests * PRICES.lambdaRequest + gbSeconds * PRICES.lambdaGbSecond);
  // DynamoDB: consumer = seen-claim + counter update (2 WRU) + a strongly consistent read of the
  // 19 buckets of every window containing the event (src/detect reads 2 × 10 − 1; 19 RRU);
  // dispatcher gate = 1 WRU; approvals ≈ 4 WRU + 4 RRU per incident.
  const wru = consumer * 2 + dispatch + incidents * 4;
  const rru = consumer * 19 + incidents * 4;
  const dynamodb = d * (wru * PRICES.ddbWrite + rru * PRICES.ddbRead);
  const stepFunctions = d * incidents * a.transitionsPerIncident * PRICES.sfnTransition;
  const findingEvents = d * incidents * a.findingEventsPerIncident;
  const securityHub = Math.max(0, findingEvents - 10_000) * PRICES.securityHubEvent;
  const publishes = d * incidents * a.publishesPerIncident;
  const sns = publishes * PRICES.snsPublish + publishes * a.emailSubscribers * PRICES.snsEmail;
  // SQS: dead-letter queues only receive failures; assume 0.1 % of deliveries, each sent and read once.
  const sqs = d * (forwarded + dispatch) * 0.001 * 2 * PRICES.sqsRequest;
  return {
    EventBridge: eventbridge,
    Lambda: lambda,
    DynamoDB: dynamodb,
    'Step Functions': stepFunctions,
    'Security Hub': securityHub,
    SNS: sns,
    SQS: sqs,
  };
}

function money(n: number): string {
  return n < 0.01
    ? '<$0.01'
    : `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function costTable(volumes: number[] = [10_000, 1_000_000, 100_000_000]): string {
  const lines = Object.keys(monthlyCost(1)) as CostLine[];
  const header = ['CloudTrail events/day', ...lines, 'Total/month'];
  const rows = volumes.map((v) => {
    const c = monthlyCost(v);
    const total = lines.reduce((s, k) => s + c[k], 0);
    return [v.toLocaleString('en-US'), ...lines.map((k) => money(c[k])), money(total)];
  });
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${costTable()}\n\nAssumptions: ${JSON.stringify(DEFAULT_ASSUMPTIONS)}\n`);
}
