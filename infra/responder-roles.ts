/**
 * The roles the pipeline's functions assume in the account an incident belongs to (the security
 * account itself included): one to read (enrichment, reconciliation), one to revoke, one to write
 * Security Hub findings (BatchImportFindings must run in the finding's account). Each trusts only
 * the security account, whose own policies let exactly one function role assume each.
 */
import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { isValidPrefix } from '../src/pipeline/names';
import { RESPONDER_ACTIONS } from '../src/pipeline/responder-actions';
import { partitionOfRegion } from '../src/pipeline/rules';
import { SERVICES } from '../src/services';

/**
 * The pipeline's role names. Every role lives under the path `/<prefix>/` with a fixed name, so a
 * member account can name the security account's function roles in its trust policies before they
 * exist, and the responder roles can be denied any change to the pipeline's own roles.
 */
export interface ResponderRoleNames {
  /** The prefix: roles are named `<prefix>-…` under the path `/<prefix>/`. */
  prefix: string;
  /** The IAM path, `/<prefix>/`. */
  path: string;
  /** Responder role names with their path (`<prefix>/<prefix>-reader`), as `BKS_ROLE_NAME` and ARNs need them. */
  reader: string;
  revoker: string;
  findings: string;
}

export function responderRoleNames(prefix = 'bks'): ResponderRoleNames {
  if (!isValidPrefix(prefix))
    throw new Error(
      `prefix "${prefix}" must be 1-21 letters, digits, _ or - (starting with a letter or digit): it names roles, ` +
        'queues, rules and tables',
    );
  return {
    prefix,
    path: `/${prefix}/`,
    reader: `${prefix}/${prefix}-reader`,
    revoker: `${prefix}/${prefix}-revoker`,
    findings: `${prefix}/${prefix}-findings`,
  };
}

/** The role name (without path) of a pipeline function, e.g. `bks-fn-enrich`. */
export function functionRoleName(prefix: string, fn: string): string {
  return `${prefix}-fn-${fn}`;
}

/** The functions (by handler name) whose roles each responder role trusts. */
export const RESPONDER_TRUST = {
  reader: ['enrich', 'reconcile'],
  revoker: ['revoke'],
  findings: ['finding', 'manual-action'],
} as const;

/** IAM actions no responder role may take on the pipeline's own roles (its path), itself included. */
export const SELF_PROTECTED_ACTIONS: string[] = [
  'iam:Attach*',
  'iam:Create*',
  'iam:Delete*',
  'iam:Detach*',
  'iam:PassRole',
  'iam:Put*',
  'iam:Tag*',
  'iam:Untag*',
  'iam:Update*',
];

export { RESPONDER_ACTIONS } from '../src/pipeline/responder-actions';

export interface ResponderRolesProps {
  /** The security account whose pipeline functions assume these roles. */
  readonly securityAccount: string;
  readonly names?: ResponderRoleNames;
  /** Region of the Security Hub findings (the pipeline's home region). @default the stack's region */
  readonly homeRegion?: string;
}

export class ResponderRoles extends Construct {
  readonly reader: iam.Role;
  readonly revoker: iam.Role;
  readonly findings: iam.Role;

  constructor(scope: Construct, id: string, props: ResponderRolesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const names = props.names ?? responderRoleNames();
    const hubRegion = props.homeRegion ?? stack.region;
    const partition = Token.isUnresolved(stack.region) ? stack.partition : partitionOfRegion(stack.region);
    // Only the pipeline's own function roles, by ARN: not every principal of the security account.
    const trust = (role: keyof typeof RESPONDER_TRUST) =>
      new iam.AccountPrincipal(props.securityAccount).withConditions({
        ArnEquals: {
          'aws:PrincipalArn': RESPONDER_TRUST[role].map(
            (fn) =>
              `arn:${partition}:iam::${props.securityAccount}:role${names.path}${functionRoleName(names.prefix, fn)}`,
          ),
        },
      });
    const roleProps = (key: keyof typeof RESPONDER_TRUST) => ({
      roleName: `${names.prefix}-${key}`,
      path: names.path,
      assumedBy: trust(key),
    });
    const userArn = stack.formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*' });
    const roleArn = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' });

    this.reader = new iam.Role(this, 'Reader', {
      ...roleProps('reader'),
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
      ...roleProps('revoker'),
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
      ...roleProps('findings'),
      description: 'bks pipeline: import and update its own Security Hub findings in this account',
    });
    this.findings.addToPolicy(
      new iam.PolicyStatement({
        actions: [...RESPONDER_ACTIONS.findings],
        resources: [
          stack.formatArn({
            service: 'securityhub',
            region: hubRegion,
            resource: 'hub',
            resourceName: 'default',
          }),
          stack.formatArn({
            service: 'securityhub',
            region: hubRegion,
            resource: 'product',
            resourceName: `${stack.account}/default`,
          }),
        ],
      }),
    );

    const ownRoles = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${names.prefix}/*`,
    });
    for (const role of [this.reader, this.revoker, this.findings]) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'NeverChangeThePipelineRoles',
          effect: iam.Effect.DENY,
          actions: [...SELF_PROTECTED_ACTIONS],
          resources: [ownRoles],
        }),
      );
    }

    this.acknowledge();
  }

  /** cdk-nag acknowledgements, each with its reason. */
  private acknowledge() {
    const stack = Stack.of(this);
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
