/**
 * The pipeline's revoker shares revoke-key's plan, which deletes a phantom's console password: its
 * role holds iam:DeleteLoginProfile — its one Delete — on phantom-named users only.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RESPONDER_ACTIONS, ResponderRoles } from '../../infra/responder-roles';
import { scratchDirs } from '../helpers/scratch';

const scratch = scratchDirs('bks-cdk-');

type Statement = { Effect: 'Allow' | 'Deny'; Action: string | string[]; Resource: unknown };

describe('the revoker role and console passwords', () => {
  it('allows iam:DeleteLoginProfile on user/BedrockAPIKey-* and user/AeaApiKey-* only, and allows no other Delete', () => {
    const app = new App({ outdir: scratch() });
    const stack = new Stack(app, 'Member', { env: { account: '222222222222', region: 'us-east-1' } });
    new ResponderRoles(stack, 'Responders', { securityAccount: '111111111111' });
    const t = Template.fromStack(stack);
    const policies = Object.values(t.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
    const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
    const isDelete = (s: Statement) => actions(s).some((a) => /Delete/.test(a));
    // The only Deletes are the self-protection Denies, on the pipeline's own roles (/bks/ path).
    for (const deny of statements.filter((s) => s.Effect === 'Deny' && isDelete(s))) {
      expect(JSON.stringify(deny.Resource)).toMatch(/:role\/bks\//);
    }
    const deletes = statements.filter((s) => s.Effect === 'Allow' && isDelete(s));
    expect(deletes).toHaveLength(1);
    expect(actions(deletes[0]!)).toEqual(['iam:DeleteLoginProfile']);
    const resources = JSON.stringify(deletes[0]!.Resource);
    expect(resources).toContain(':user/BedrockAPIKey-*');
    expect(resources).toContain(':user/AeaApiKey-*');
    expect(resources).not.toMatch(/:user\/\*"/);
    expect(RESPONDER_ACTIONS.revokerPhantomPasswords).toEqual(['iam:DeleteLoginProfile']);
  });
});
