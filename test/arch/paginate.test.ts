/**
 * Lists are read with the SDK v3 paginators (`paginateListAccessKeys({ client }, input)`), not with
 * hand-written NextToken / Marker loops. A command built with a page token is allowed only where the
 * SDK has no paginator for it or the loop does what a paginator cannot (named below, with why).
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DIRS, parsed, sourceFiles } from './measure';

const TOKENS = new Set(['NextToken', 'Marker', 'ContinuationToken']);

/** `file Command` for every `new XCommand({ …, NextToken | Marker | ContinuationToken: … })`. */
function pagedByHand(files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const source = parsed(file);
    const visit = (node: ts.Node): void => {
      if (ts.isNewExpression(node) && /Command$/.test(node.expression.getText(source))) {
        const arg = node.arguments?.[0];
        const paged =
          arg &&
          ts.isObjectLiteralExpression(arg) &&
          arg.properties.some((p) => p.name && TOKENS.has(p.name.getText(source)));
        if (paged) out.push(`${file} ${node.expression.getText(source)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out.sort();
}

const ALLOWED = new Set([
  // The IAM model gives ListServiceSpecificCredentials no paging trait: the SDK has no paginator.
  'src/aws/iam-reads.ts ListServiceSpecificCredentialsCommand',
  // The EventBridge client has no paginators at all.
  'src/coverage/pipeline.ts ListRulesCommand',
  'src/coverage/pipeline.ts ListTargetsByRuleCommand',
  'src/selftest/diagnose.ts ListRulesCommand',
  // The timeline asks a throttled page again with the same token until it answers (2 requests/s
  // per region), which a paginator cannot: it would restart or give up.
  'src/timeline/run.ts LookupEventsCommand',
]);

describe('pagination', () => {
  it('lists go through the SDK paginators, except where named', () => {
    const found = pagedByHand(sourceFiles(DIRS.filter((d) => d !== 'sim' && d !== 'bench' && d !== 'demo')));
    expect(found.filter((f) => !ALLOWED.has(f))).toEqual([]);
    expect([...ALLOWED].filter((a) => !found.includes(a))).toEqual([]);
  });

  it('sees a hand-written loop (a self-check)', () => {
    expect(pagedByHand(['src/aws/iam-reads.ts'])).toContain(
      'src/aws/iam-reads.ts ListServiceSpecificCredentialsCommand',
    );
  });
});
