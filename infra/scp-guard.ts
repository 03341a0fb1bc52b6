/**
 * `ScpGuard`: the chosen service control policies of `scps/` as `AWS::Organizations::Policy`
 * resources, attached to the given roots, OUs or accounts. Deploy it in the organization's
 * management account (or a delegated administrator for Organizations policies):
 *
 *   new ScpGuard(this, 'ApiKeyScps', {
 *     controls: ['deny-long-term-api-keys', 'api-key-max-age', 'deny-phantom-escalation'],
 *     maxAgeDays: 30,
 *     targetIds: ['ou-ab12-34cd56ef'],
 *   });
 *
 * The policy text is the same rendering `bks scp show` prints and the test suite proves.
 * SCPs never apply to the management account, and a target holds at most five SCPs (FullAWSAccess
 * usually takes one): the construct warns when a control set would not fit.
 */
import { Annotations, type CfnTag, Token } from 'aws-cdk-lib';
import { CfnPolicy } from 'aws-cdk-lib/aws-organizations';
import { Construct } from 'constructs';
import {
  loadScpCatalog,
  minifyPolicy,
  renderScp,
  SCP_CONTROLS,
  SCP_MAX_CHARS,
  type ScpControl,
} from '../src/policy/scps';

export interface ScpGuardProps {
  /** Which controls to create (names as `bks scp list` shows them); at least one, no repeats. */
  readonly controls: readonly ScpControl[];
  /** Longest allowed API key lifetime for `api-key-max-age`, in days (1..36600). @default 90 */
  readonly maxAgeDays?: number;
  /**
   * Roots (`r-…`), OUs (`ou-…-…`) or accounts (12 digits) to attach every policy to. Empty: the
   * policies are created unattached. @default []
   */
  readonly targetIds?: readonly string[];
  /** Prefix of each policy's name in Organizations. @default 'bks-' */
  readonly namePrefix?: string;
  /** Tags for every policy. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The one role `bks selftest` runs as: the controls that deny what its canary does
   * (deny-phantom-users, deny-long-term-api-keys, deny-api-keys) exempt that role, and the canary
   * users it makes for their one bearer call, through `aws:PrincipalArn`. @default no exemption
   */
  readonly selftestRoleArn?: string;
}

const TARGET_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|\d{12})$/;

export class ScpGuard extends Construct {
  /** The policies created, by control. */
  readonly policies: Partial<Record<ScpControl, CfnPolicy>> = {};

  constructor(scope: Construct, id: string, props: ScpGuardProps) {
    super(scope, id);
    const controls = [...props.controls];
    if (controls.length === 0) throw new Error('ScpGuard: controls must name at least one control');
    for (const control of controls) {
      if (!(SCP_CONTROLS as readonly string[]).includes(control)) {
        throw new Error(`ScpGuard: unknown control "${control}"; valid: ${SCP_CONTROLS.join(', ')}`);
      }
    }
    if (new Set(controls).size !== controls.length) throw new Error('ScpGuard: controls must not repeat');
    if (props.maxAgeDays !== undefined && !controls.includes('api-key-max-age')) {
      throw new Error('ScpGuard: maxAgeDays needs the api-key-max-age control');
    }
    const targetIds = [...(props.targetIds ?? [])];
    for (const target of targetIds) {
      if (!Token.isUnresolved(target) && !TARGET_ID.test(target)) {
        throw new Error(`ScpGuard: "${target}" is not a root (r-…), OU (ou-…-…) or 12-digit account id`);
      }
    }
    if (controls.length > 5) {
      throw new Error(`ScpGuard: ${controls.length} controls exceed the 5 SCPs a target can hold`);
    }
    if (controls.length === 5 && targetIds.length > 0) {
      Annotations.of(this).addWarning(
        'ScpGuard: 5 controls fill every SCP slot of a target; one holding FullAWSAccess directly cannot take them all',
      );
    }

    const catalog = loadScpCatalog();
    if (props.selftestRoleArn !== undefined) {
      if (Token.isUnresolved(props.selftestRoleArn)) {
        throw new Error(
          'ScpGuard: selftestRoleArn must be a literal role ARN (it is part of the policy text)',
        );
      }
      if (!controls.some((c) => catalog.find((e) => e.name === c)?.selftest)) {
        throw new Error(
          `ScpGuard: selftestRoleArn exempts nothing: none of ${controls.join(', ')} denies what bks selftest does`,
        );
      }
    }
    const prefix = props.namePrefix ?? 'bks-';
    const tags: CfnTag[] = Object.entries(props.tags ?? {}).map(([key, value]) => ({ key, value }));
    for (const control of controls) {
      const entry = catalog.find((e) => e.name === control);
      if (!entry) throw new Error(`ScpGuard: scps/${control}.json is missing`);
      const params = control === 'api-key-max-age' ? { maxAgeDays: props.maxAgeDays } : {};
      const selftest = props.selftestRoleArn && entry.selftest ? { selftestRole: props.selftestRoleArn } : {};
      let content: ReturnType<typeof renderScp>;
      try {
        content = renderScp(entry, params, selftest);
      } catch (err) {
        throw new Error(`ScpGuard: ${(err as Error).message}`);
      }
      if (minifyPolicy(content).length > SCP_MAX_CHARS) {
        throw new Error(`ScpGuard: ${control} exceeds ${SCP_MAX_CHARS} characters`);
      }
      this.policies[control] = new CfnPolicy(this, control, {
        name: `${prefix}${control}`,
        type: 'SERVICE_CONTROL_POLICY',
        description: entry.title,
        content,
        ...(targetIds.length > 0 ? { targetIds } : {}),
        ...(tags.length > 0 ? { tags } : {}),
      });
    }
  }
}
