/**
 * The stateful-rule consumer's logic: one central-bus delivery (rule id + CloudTrail envelope) is
 * counted once (a claim on rule + event id absorbs EventBridge's at-least-once redelivery) by
 * `src/detect`'s windowed-counter engine; a crossed threshold becomes a `bks.detect` event for the
 * bus, which a central rule hands to the dispatcher like any other detection.
 */
import type { CloudTrailRecord } from '../detect/knowledge';
import { compilePattern } from '../detect/pattern';
import type { Rule, StatefulSpec } from '../detect/rules';
import { type CounterStore, StatefulEngine } from '../detect/stateful';
import { type Severity, THRESHOLD_EVENT_DETAIL_TYPE, THRESHOLD_EVENT_SOURCE } from './incident';

/** A stateful rule as the consumer is configured with it (`BKS_STATEFUL_RULES`). */
export interface StatefulRuleConfig {
  id: string;
  severity: Severity;
  pattern: Record<string, unknown>;
  stateful: StatefulSpec;
}

export interface ThresholdEvent {
  Source: string;
  DetailType: string;
  Detail: string;
}

/** Seconds a processed event id is remembered (longer than EventBridge's 24 h of retries). */
const SEEN_TTL_MS = 26 * 3600 * 1000;

export function parseStatefulRules(text: string | undefined): StatefulRuleConfig[] {
  const raw = JSON.parse(text ?? '[]') as unknown;
  if (!Array.isArray(raw)) throw new Error('BKS_STATEFUL_RULES must be a JSON list');
  return raw as StatefulRuleConfig[];
}

function asRule(c: StatefulRuleConfig): Rule {
  return {
    id: c.id,
    title: c.id,
    severity: c.severity,
    severityRationale: '',
    description: '',
    remediation: '',
    attack: { id: '', name: '' },
    tags: [],
    kind: 'stateful',
    service: null,
    deploy: 'all-regions',
    pattern: c.pattern,
    stateful: c.stateful,
    samples: { match: [], noMatch: [] },
  };
}

export async function countDelivery(
  input: { ruleId: string; event: Record<string, unknown> },
  rules: readonly StatefulRuleConfig[],
  store: CounterStore,
): Promise<ThresholdEvent[]> {
  const config = rules.find((r) => r.id === input.ruleId);
  if (!config) throw new Error(`unknown stateful rule ${input.ruleId}`);
  const envelope = input.event;
  const record = (envelope['detail'] ?? {}) as CloudTrailRecord;
  const eventId = typeof record.eventID === 'string' ? record.eventID : undefined;
  if (!eventId) return [];
  const t = typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : Number.NaN;
  if (Number.isNaN(t)) return [];
  if (!(await store.claim(`seen|${config.id}|${eventId}`, t + SEEN_TTL_MS))) return [];
  const rule = asRule(config);
  const engine = new StatefulEngine([{ rule, test: compilePattern(rule.pattern) }], { store });
  const matches = await engine.observe(record, envelope);
  return matches.map((m) => ({
    Source: THRESHOLD_EVENT_SOURCE,
    DetailType: THRESHOLD_EVENT_DETAIL_TYPE,
    Detail: JSON.stringify({
      ruleId: m.rule.id,
      principal: m.principal,
      count: m.value,
      windowSeconds: m.spec.windowSeconds,
      ...(m.regions ? { regions: m.regions } : {}),
      sample: m.record,
    }),
  }));
}
