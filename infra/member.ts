/**
 * Member accounts as CDK stages (the documented alternative to a StackSet): per member account,
 * one forwarder stack per region (rules from `detections/` on the default bus → the security
 * account's central bus, which accepts the organization's rules through `aws:PrincipalOrgID`) and the
 * responder roles the pipeline assumes there.
 *
 *   new BedrockKeyGuardMemberStage(app, 'Member-222222222222', {
 *     env: { account: '222222222222', region: 'us-east-1' }, rules, regions, homeRegion,
 *     securityAccount: '111111111111' });
 *   npx cdk deploy 'Member-222222222222/*'
 */
import { Stack, Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { pipelineNames } from '../src/pipeline/names';
import { forwarderRegions, type PipelineRule } from '../src/pipeline/rules';
import { DetectionForwarder } from './forwarder';
import { ResponderRoles, responderRoleNames } from './responder-roles';

export interface BedrockKeyGuardMemberStageProps extends StageProps {
  readonly rules: readonly PipelineRule[];
  readonly regions: readonly string[];
  readonly homeRegion: string;
  readonly securityAccount: string;
  /**
   * The organization of the security account's central bus. Required: the central bus accepts
   * events only from the organization's accounts, so a member outside it would land its events in
   * its forwarders' dead-letter queue.
   */
  readonly organizationId: string;
  /** Prefix of the named resources and roles, as the security account's `BedrockKeyGuard` has it. @default 'bks' */
  readonly prefix?: string;
}

export class BedrockKeyGuardMemberStage extends Stage {
  readonly stacks: Stack[] = [];

  constructor(scope: Construct, id: string, props: BedrockKeyGuardMemberStageProps) {
    super(scope, id, props);
    if (!/^o-[a-z0-9]{10,32}$/.test(props.organizationId ?? ''))
      throw new Error(
        `BedrockKeyGuardMemberStage ${id}: organizationId must be the organization's id (o-…): the central bus ` +
          'accepts forwarded events only from its accounts',
      );
    const account = props.env?.account;
    const roleNames = responderRoleNames(props.prefix);
    const names = pipelineNames(roleNames.prefix);
    const busArnIn = (stack: Stack) =>
      stack.formatArn({
        service: 'events',
        region: props.homeRegion,
        account: props.securityAccount,
        resource: 'event-bus',
        resourceName: names.centralBus,
      });
    const regions = forwarderRegions(props.regions, props.homeRegion);
    for (const region of regions) {
      const stack = new Stack(this, `Forwarders-${region}`, { env: { account, region } });
      new DetectionForwarder(stack, 'Forwarder', {
        rules: props.rules,
        centralBusArn: busArnIn(stack),
        prefix: names.prefix,
      });
      if (region === regions[0]) {
        // IAM is global: the roles live in one stack (the first region).
        new ResponderRoles(stack, 'Responders', {
          securityAccount: props.securityAccount,
          names: roleNames,
          homeRegion: props.homeRegion,
        });
      }
      this.stacks.push(stack);
    }
  }
}
