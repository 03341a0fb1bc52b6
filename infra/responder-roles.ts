/**
 * The roles the pipeline's functions assume in the account an incident belongs to (the security
 * account itself included): one to read (enrichment, reconciliation), one to revoke, one to write
 * Security Hub findings (BatchImportFindings must run in the finding's account). Each trusts only
 * the security account, whose own policies let exactly one function role assume each.
 */
import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { RESPONDER_ACTIONS } from '../src/pipeline/responder-actions';
import { SERVICES } from '../src/services';

export interface ResponderRoleNames {
  reader: string;
  revoker: string;
  findings: string;
}

export function responderRoleNames(prefix = 'bks'): ResponderRoleNames {
  return { reader: `${prefix}-reader`, revoker: `${prefix}-revoker`, findings: `${prefix}-findings` };
}

export { RESPONDER_ACTIONS } from '../src/pipeline/responder-actions';

export interface ResponderRolesProps {
  /** The security account whose pipeline functions assume these roles. */
  readonly securityAccount: string;
  readonly names?: ResponderRoleNames;
}

export class ResponderRoles extends Construct {
  readonly reader: iam.Role;
  readonly revoker: iam.Role;
  readonly findings: iam.Role;

  constructor(scope: Construct, id: string, props: ResponderRolesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const names = props.names ?? responderRoleNames();
    const trust = new iam.AccountPrincipal(props.securityAccount);
    const userArn = stack.formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*' });
    const roleArn = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' });

    this.reader = new iam.Role(this, 'Reader', {
      roleName: names.reader,
      assumedBy: trust,
      description:
        'bks pipeline: read IAM users, keys and CloudTrail history for enrichment and reconciliation',
    });
    this.reader.addToPolicy(
      new iam.PolicyStatement({ actions: [...RESPONDER_ACTIONS.readerUsers], resources: [userArn] }),
    );
    this.reader.addToPolicy(
      new iam.PolicyStatement({ actions: [...RESPONDER_ACTIONS.readerAccount], resources: ['*'] }),
    );

    this.revoker = new iam.Role(this, 'Revoker', {
      roleName: names.revoker,
      assumedBy: trust,
      description:
        'bks pipeline: deactivate a leaked key (targeted; deactivation and deny policies only, never delete)',
    });
    this.revoker.addToPolicy(
      new iam.PolicyStatement({ actions: [...RESPONDER_ACTIONS.revoker], resources: [userArn] }),
    );
    this.revoker.addToPolicy(
      new iam.PolicyStatement({
        actions: [...RESPONDER_ACTIONS.revokerPhantomPasswords],
        resources: SERVICES.map((s) =>
          stack.formatArn({
            service: 'iam',
            region: '',
            resource: 'user',
            resourceName: `${s.phantomUserPrefix}*`,
          }),
        ),
      }),
    );
    this.revoker.addToPolicy(
      new iam.PolicyStatement({ actions: [...RESPONDER_ACTIONS.revokerRoles], resources: [roleArn] }),
    );
    this.revoker.addToPolicy(
      new iam.PolicyStatement({ actions: [...RESPONDER_ACTIONS.revokerAccount], resources: ['*'] }),
    );

    this.findings = new iam.Role(this, 'Findings', {
      roleName: names.findings,
      assumedBy: trust,
      description: 'bks pipeline: import and update its own Security Hub findings in this account',
    });
    this.findings.addToPolicy(
      new iam.PolicyStatement({
        actions: [...RESPONDER_ACTIONS.findings],
        resources: [
          stack.formatArn({ service: 'securityhub', resource: 'hub', resourceName: 'default' }),
          stack.formatArn({
            service: 'securityhub',
            resource: 'product',
            resourceName: `${stack.account}/default`,
          }),
        ],
      }),
    );

    const acct = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const wildcardReason =
      'Incident targets are arbitrary IAM users (and, for short-term keys, the signing roles) of this account, ' +
      'unknown at deploy time; the actions are limited to reading and deactivating keys and adding deny policies.';
    for (const role of [this.reader, this.revoker]) {
      const policy = role.node.findChild('DefaultPolicy');
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${acct}:user/*]`,
        reason: wildcardReason,
      });
    }
    for (const s of SERVICES) {
      Validations.of(this.revoker.node.findChild('DefaultPolicy')).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${acct}:user/${s.phantomUserPrefix}*]`,
        reason:
          'iam:DeleteLoginProfile, the revoker’s one Delete, is limited to phantom API-key users, named by the ' +
          'console with this prefix and a random suffix unknown at deploy time.',
      });
    }
    Validations.of(this.revoker.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudtrail:LookupEvents (finding the signer of a short-term key) supports no resource-level permissions.',
    });
    Validations.of(this.reader.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudtrail:LookupEvents, the account-wide IAM reads (ListUsers, GetAccountAuthorizationDetails, the ' +
        'credential report) and ListServiceSpecificCredentials with AllUsers support no resource-level ' +
        'permissions (service authorization reference): the resource must be *.',
    });
    Validations.of(this.revoker.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${acct}:role/*]`,
      reason: wildcardReason,
    });
  }
}
