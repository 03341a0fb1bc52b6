/**
 * Per-region checks of the services detection leans on: Security Hub enabled and administered by
 * the security account (the pipeline's findings and custom actions live there), GuardDuty with its
 * AI Protection feature (where GetDetector lists it), and Bedrock model invocation logging.
 */
import { BedrockClient, GetModelInvocationLoggingConfigurationCommand } from '@aws-sdk/client-bedrock';
import {
  GetDetectorCommand,
  type GetDetectorCommandOutput,
  GuardDutyClient,
  ListDetectorsCommand,
} from '@aws-sdk/client-guardduty';
import { DescribeHubCommand, GetAdministratorAccountCommand } from '@aws-sdk/client-securityhub';
import { type AwsContext, describeAwsError, errorCode, isAccessDenied } from '../aws';
import type { CoverageCheck } from './types';

/** A failed read: refused or not, it is missing knowledge. */
function unknown(region: string, control: string, what: string, err: unknown, permission: string): CoverageCheck {
  return {
    region,
    control,
    status: 'unknown',
    detail: `${what}: ${describeAwsError(err)}`,
    fix: isAccessDenied(err)
      ? `grant ${permission} to the role bks runs as`
      : 'rerun; if it persists, check the endpoint and the service availability in this region',
  };
}

/** Security Hub's answer for an account that is not subscribed (not a denied read). */
function notSubscribed(err: unknown): boolean {
  return errorCode(err) === 'InvalidAccessException';
}

export async function securityHubChecks(
  aws: AwsContext,
  accountId: string,
  region: string,
  securityAccount: string,
): Promise<CoverageCheck[]> {
  const client = aws.securityhub(region);
  const enableFix = `enable Security Hub in ${region} (aws securityhub enable-security-hub --region ${region}), or centrally from the delegated administrator`;
  let hubArn: string;
  try {
    const hub = await client.send(new DescribeHubCommand({}));
    hubArn = hub.HubArn ?? 'hub';
  } catch (err) {
    if (notSubscribed(err)) {
      const detail = 'Security Hub is not enabled (DescribeHub: not subscribed)';
      return [
        { region, control: 'securityhub.enabled', status: 'missing', detail, fix: enableFix },
        {
          region,
          control: 'securityhub.administrator',
          status: 'missing',
          detail,
          fix: `${enableFix}; then make ${securityAccount} its administrator`,
        },
      ];
    }
    return ['securityhub.enabled', 'securityhub.administrator'].map((control) =>
      unknown(region, control, 'DescribeHub failed', err, 'securityhub:DescribeHub and securityhub:GetAdministratorAccount'),
    );
  }
  const enabled: CoverageCheck = {
    region,
    control: 'securityhub.enabled',
    status: 'ok',
    detail: `enabled (${hubArn})`,
    fix: '',
  };
  if (accountId === securityAccount) {
    return [
      enabled,
      {
        region,
        control: 'securityhub.administrator',
        status: 'ok',
        detail: 'this is the security account: findings and custom actions are administered here',
        fix: '',
      },
    ];
  }
  const adminFix = `make ${securityAccount} the Security Hub administrator of this account (from the organization's management account: aws securityhub enable-organization-admin-account --admin-account-id ${securityAccount}), so that findings and the pipeline's custom actions reach it`;
  try {
    const out = await client.send(new GetAdministratorAccountCommand({}));
    const admin = out.Administrator;
    if (admin?.AccountId === securityAccount && (admin.MemberStatus ?? 'Enabled') === 'Enabled') {
      return [enabled, { region, control: 'securityhub.administrator', status: 'ok', detail: `administrator ${securityAccount}`, fix: '' }];
    }
    const detail = admin?.AccountId
      ? `administrator is ${admin.AccountId} (status ${admin.MemberStatus ?? '?'}), not the security account ${securityAccount}`
      : `no administrator account (the security account ${securityAccount} does not administer it)`;
    return [enabled, { region, control: 'securityhub.administrator', status: 'missing', detail, fix: adminFix }];
  } catch (err) {
    return [enabled, unknown(region, 'securityhub.administrator', 'GetAdministratorAccount failed', err, 'securityhub:GetAdministratorAccount')];
  }
}

const AI_PROTECTION = 'AI_PROTECTION';

export async function guardDutyCheck(aws: AwsContext, region: string): Promise<CoverageCheck> {
  const control = 'guardduty.ai-protection';
  const client = aws.client('guardduty', GuardDutyClient, region);
  const fix = `enable GuardDuty in ${region} with the ${AI_PROTECTION} feature (aws guardduty update-detector --detector-id ID --features Name=${AI_PROTECTION},Status=ENABLED --region ${region}), or centrally from the delegated administrator`;
  let ids: string[];
  try {
    ids = (await client.send(new ListDetectorsCommand({}))).DetectorIds ?? [];
  } catch (err) {
    return unknown(region, control, 'ListDetectors failed', err, 'guardduty:ListDetectors and guardduty:GetDetector');
  }
  if (ids.length === 0) return { region, control, status: 'missing', detail: 'GuardDuty is not enabled (no detector)', fix };
  const id = ids[0]!;
  let detector: GetDetectorCommandOutput;
  try {
    detector = await client.send(new GetDetectorCommand({ DetectorId: id }));
  } catch (err) {
    return unknown(region, control, `GetDetector ${id} failed`, err, 'guardduty:GetDetector');
  }
  if (detector.Status !== 'ENABLED') {
    return { region, control, status: 'missing', detail: `detector ${id} is ${detector.Status ?? 'not enabled'}`, fix };
  }
  const feature = (detector.Features ?? []).find((f) => f.Name === AI_PROTECTION);
  if (!feature) {
    return {
      region,
      control,
      status: 'not-checkable',
      detail: `detector ${id} is enabled but GetDetector lists no ${AI_PROTECTION} feature in this region: the API does not report it here`,
      fix: '',
    };
  }
  if (feature.Status === 'ENABLED') {
    return { region, control, status: 'ok', detail: `detector ${id}: ${AI_PROTECTION} enabled`, fix: '' };
  }
  return { region, control, status: 'missing', detail: `detector ${id}: ${AI_PROTECTION} is ${feature.Status ?? 'not enabled'}`, fix };
}

export async function bedrockLoggingCheck(aws: AwsContext, region: string): Promise<CoverageCheck> {
  const control = 'bedrock.invocation-logging';
  const fix = `configure model invocation logging in ${region} to CloudWatch Logs or S3 with text delivery (aws bedrock put-model-invocation-logging-configuration --region ${region} …)`;
  let config: Record<string, unknown> | undefined;
  try {
    const out = await aws
      .client('bedrock', BedrockClient, region)
      .send(new GetModelInvocationLoggingConfigurationCommand({}));
    config = out.loggingConfig as Record<string, unknown> | undefined;
  } catch (err) {
    return unknown(region, control, 'GetModelInvocationLoggingConfiguration failed', err, 'bedrock:GetModelInvocationLoggingConfiguration');
  }
  const cw = config?.cloudWatchConfig as { logGroupName?: string } | undefined;
  const s3 = config?.s3Config as { bucketName?: string } | undefined;
  const sinks = [cw?.logGroupName && `CloudWatch Logs ${cw.logGroupName}`, s3?.bucketName && `S3 ${s3.bucketName}`].filter(
    Boolean,
  ) as string[];
  if (!config || sinks.length === 0) {
    return { region, control, status: 'missing', detail: 'model invocation logging is not configured', fix };
  }
  if (config.textDataDeliveryEnabled !== true) {
    return {
      region,
      control,
      status: 'partial',
      detail: `logging to ${sinks.join(' and ')} without text data delivery: prompts and completions are not recorded`,
      fix: `${fix}; set textDataDeliveryEnabled true`,
    };
  }
  return { region, control, status: 'ok', detail: `logging to ${sinks.join(' and ')} (text data delivered)`, fix: '' };
}
