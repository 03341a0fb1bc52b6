/**
 * How `bks coverage` reads a trail's advanced event selectors for data events (src/coverage/trails.ts),
 * on selectors written out from AWS's pages. CloudTrail requires `resources.type` in every
 * data-event selector (API Reference, "AdvancedFieldSelector"), and bks-sim refuses a scenario
 * without it, so the selector that names only bedrock-mantle's event source is checked here, on
 * the reader's answer as GetEventSelectors would give it: it must never count as coverage.
 */
import type { AdvancedEventSelector } from '@aws-sdk/client-cloudtrail';
import { describe, expect, it } from 'vitest';
import { AGENT_SAMPLES, MANTLE_SAMPLES, selects, type TrailView } from '../../src/coverage/trails';

function view(...selectors: AdvancedEventSelector[]): TrailView {
  return { trail: { Name: 't', IsMultiRegionTrail: true }, isLogging: true, advancedEventSelectors: selectors };
}
const data = (...fields: AdvancedEventSelector['FieldSelectors'] & object) => ({
  Name: 'd',
  FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, ...fields],
});
const labels = (v: TrailView, samples: typeof MANTLE_SAMPLES) => samples.filter((s) => selects(v, s)).map((s) => s.resourceType);

describe('coverage: data-event selectors', () => {
  it('an eventSource-only bedrock-mantle selector selects nothing (no resources.type)', () => {
    const v = view(data({ Field: 'eventSource', Equals: ['bedrock-mantle.amazonaws.com'] }));
    expect(labels(v, MANTLE_SAMPLES)).toEqual([]);
  });

  it('the Bedrock user guide’s bedrock-mantle selector selects every mantle sample, and no Bedrock one', () => {
    const v = view(
      data({
        Field: 'resources.type',
        Equals: ['AWS::BedrockMantle::Project', 'AWS::BedrockMantle::CustomizedModel', 'AWS::BedrockMantle::Reservation'],
      }),
    );
    expect(labels(v, MANTLE_SAMPLES)).toEqual([
      'AWS::BedrockMantle::Project',
      'AWS::BedrockMantle::CustomizedModel',
      'AWS::BedrockMantle::Reservation',
    ]);
    expect(labels(v, AGENT_SAMPLES)).toEqual([]);
  });

  it('a management selector selects no data event; a type selector only its type', () => {
    expect(labels(view({ Name: 'm', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }), AGENT_SAMPLES)).toEqual([]);
    const v = view(data({ Field: 'resources.type', Equals: ['AWS::Bedrock::Guardrail'] }));
    expect(labels(v, AGENT_SAMPLES)).toEqual(['AWS::Bedrock::Guardrail']);
    const not = view(data({ Field: 'resources.type', NotEquals: ['AWS::Bedrock::Guardrail'] }));
    expect(labels(not, AGENT_SAMPLES)).not.toContain('AWS::Bedrock::Guardrail');
  });

  it('a condition on eventName or readOnly counts only for a call a page names', () => {
    const type = { Field: 'resources.type', Equals: ['AWS::Bedrock::AgentAlias', 'AWS::Bedrock::PromptVersion'] };
    const byName = view(data(type, { Field: 'eventName', Equals: ['InvokeAgent'] }));
    expect(labels(byName, AGENT_SAMPLES)).toEqual(['AWS::Bedrock::AgentAlias']);
    const writes = view(data(type, { Field: 'readOnly', Equals: ['false'] }));
    expect(labels(writes, AGENT_SAMPLES)).toEqual([]);
  });
});
