/**
 * The fixed names of the pipeline's resources, one prefix for all (default `bks`, the same prefix as
 * the role path `/bks/`). The CDK constructs deploy these names, the local pipeline inside bks-sim
 * uses them, and `bks coverage` / `bks selftest` find a deployment by them on real AWS:
 * - on every watched region's default bus, forwarder rules `<prefix>-fwd-<RULE-ID>` (and
 *   `<prefix>-fwd-anomaly` for the alarm state changes), each with the region's dead-letter queue
 *   `<prefix>-forwarder-dlq`;
 * - in the security account's home region: the central bus `<prefix>-central` and its rules
 *   `<prefix>-<RULE-ID>` (a stateful rule's threshold rule `<prefix>-<RULE-ID>-threshold`), the
 *   response state machine `<prefix>-response`, the dead-letter queues `<prefix>-*-dlq`, the tables
 *   `<prefix>-approvals` and `<prefix>-counters`, and the SOC topic `<prefix>-soc`.
 */

export const DEFAULT_PREFIX = 'bks';

/**
 * Characters every named resource accepts (SQS queue names allow no `.`, IAM paths and EventBridge
 * rule names no `+=,@`), and short enough that the longest rule name stays within 64 characters.
 */
const PREFIX_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/;

export function isValidPrefix(prefix: string): boolean {
  return PREFIX_RE.test(prefix);
}

export interface PipelineNames {
  prefix: string;
  centralBus: string;
  stateMachine: string;
  /** The forwarder of a detection rule on a region's default bus. */
  forwarder(ruleId: string): string;
  /** The forwarder of the region's alarm state changes. */
  anomalyForwarder: string;
  /** A detection rule on the central bus. */
  centralRule(ruleId: string): string;
  /** A stateful rule's threshold rule on the central bus (dispatches the crossing). */
  thresholdRule(ruleId: string): string;
  /** Another rule of the pipeline (`<prefix>-<purpose>`): custom actions, reconcile, forwarded alarms. */
  rule(purpose: string): string;
  /** A dead-letter or on-failure queue: `<prefix>-<purpose>-dlq`. */
  deadLetterQueue(purpose: string): string;
  isDeadLetterQueue(name: string): boolean;
  approvalTable: string;
  counterTable: string;
  topic: string;
  /** Alarm names whose state changes the forwarders carry to the central bus (and on to the topic). */
  forwardedAlarmPrefix: string;
}

export function pipelineNames(prefix: string = DEFAULT_PREFIX): PipelineNames {
  return {
    prefix,
    centralBus: `${prefix}-central`,
    stateMachine: `${prefix}-response`,
    forwarder: (id) => `${prefix}-fwd-${id}`,
    anomalyForwarder: `${prefix}-fwd-anomaly`,
    centralRule: (id) => `${prefix}-${id}`,
    thresholdRule: (id) => `${prefix}-${id}-threshold`,
    rule: (purpose) => `${prefix}-${purpose}`,
    deadLetterQueue: (purpose) => `${prefix}-${purpose}-dlq`,
    isDeadLetterQueue: (name) => name.startsWith(`${prefix}-`) && name.endsWith('-dlq'),
    approvalTable: `${prefix}-approvals`,
    counterTable: `${prefix}-counters`,
    topic: `${prefix}-soc`,
    forwardedAlarmPrefix: `${prefix}-forwarded-`,
  };
}
