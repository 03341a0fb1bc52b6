/**
 * The project's own CDK app (`npx cdk synth`, see cdk.json): the pipeline in the security account's
 * home region with the rules of `detections/`. Settings come from CDK context (`-c key=value` or
 * cdk.json), every one optional:
 *   homeRegion (default CDK_DEFAULT_REGION or us-east-1), regions (comma list; default the home
 *   region), organizationId, autoRevoke (comma list of severities; default none), allowlist (comma
 *   list), approvalTimeoutMinutes (240), timeoutAction (notify-only | contain), reconcileMinutes (60),
 *   reconcileAccounts (comma list), memberAccounts (comma list: one CDK stage per member account;
 *   needs organizationId), invocationsThreshold (invocations per 5 minutes, all models; 1000),
 *   organizationTrail (true: create the organization trail with the Bedrock data-event selectors;
 *   needs organizationId and the management account; default false),
 *   approvalIssuer + approvalClientId + approvalClientSecretArn + approverGroups (comma list)
 *   [+ approvalGroupsClaim]: the approval page's identity provider (docs/approval.md; all or none).
 * cdk-nag's AwsSolutions pack runs on every synth; an unacknowledged finding fails it.
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SEVERITIES, type Severity } from '../src/pipeline/incident';
import { TIMEOUT_ACTIONS, type TimeoutAction } from '../src/pipeline/policy';
import { DEFAULT_STACK_NAME } from '../src/pipeline/stack-outputs';
import { BedrockKeyGuard } from './guard';
import { BedrockKeyGuardMemberStage } from './member';
import { loadPipelineRules } from './rules';

const app = new App();
const ctx = (key: string): string | undefined => {
  const v = app.node.tryGetContext(key);
  return v === undefined || v === null || v === '' ? undefined : String(v);
};
const list = (key: string): string[] =>
  (ctx(key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const fail = (message: string): never => {
  process.stderr.write(`bks infra: ${message}\n`);
  process.exit(2);
};

const homeRegion = ctx('homeRegion') ?? process.env['CDK_DEFAULT_REGION'] ?? 'us-east-1';
const account = process.env['CDK_DEFAULT_ACCOUNT'];
const autoRevoke = list('autoRevoke');
for (const s of autoRevoke)
  if (!(SEVERITIES as readonly string[]).includes(s)) fail(`autoRevoke: unknown severity ${s}`);
const timeoutAction = ctx('timeoutAction') ?? 'notify-only';
if (!TIMEOUT_ACTIONS.includes(timeoutAction as TimeoutAction))
  fail(`timeoutAction must be notify-only or contain`);
const minutes = (key: string, dflt: number) => {
  const n = Number(ctx(key) ?? dflt);
  if (!Number.isInteger(n) || n < 1) fail(`${key} must be a positive whole number of minutes`);
  return Duration.minutes(n);
};

const positive = (key: string) => {
  const n = Number(ctx(key));
  if (!Number.isInteger(n) || n < 1) fail(`${key} must be a positive whole number`);
  return n;
};

const signInKeys = ['approvalIssuer', 'approvalClientId', 'approvalClientSecretArn', 'approverGroups'];
const signInGiven = signInKeys.filter((k) => ctx(k) !== undefined);
if (signInGiven.length > 0 && signInGiven.length < signInKeys.length)
  fail(
    `the approval sign-in needs all of ${signInKeys.join(', ')} (missing ${signInKeys.filter((k) => !ctx(k)).join(', ')})`,
  );

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const rules = loadPipelineRules();
if (ctx('organizationTrail') !== undefined && !['true', 'false'].includes(ctx('organizationTrail')!))
  fail('organizationTrail must be true or false');
if (ctx('organizationTrail') === 'true' && !ctx('organizationId'))
  fail('organizationTrail needs organizationId: the trail logs the whole organization');
const stack = new Stack(app, DEFAULT_STACK_NAME, {
  env: { account, region: homeRegion },
  description: 'bks: real-time detection and approved revocation of Bedrock API keys',
});
new BedrockKeyGuard(stack, 'Guard', {
  rules,
  homeRegion,
  regions: list('regions').length ? list('regions') : [homeRegion],
  organizationId: ctx('organizationId'),
  autoRevoke: autoRevoke as Severity[],
  allowlistedPrincipals: list('allowlist'),
  approvalTimeout: minutes('approvalTimeoutMinutes', 240),
  timeoutAction: timeoutAction as TimeoutAction,
  reconciliationPeriod: minutes('reconcileMinutes', 60),
  reconcileAccounts: list('reconcileAccounts'),
  ...(ctx('invocationsThreshold') ? { invocationsThreshold: positive('invocationsThreshold') } : {}),
  ...(signInGiven.length > 0
    ? {
        approvalSignIn: {
          issuer: ctx('approvalIssuer') as string,
          clientId: ctx('approvalClientId') as string,
          clientSecret: secretsmanager.Secret.fromSecretCompleteArn(
            stack,
            'ApprovalClientSecret',
            ctx('approvalClientSecretArn') as string,
          ),
          allowedGroups: list('approverGroups'),
          ...(ctx('approvalGroupsClaim') ? { groupsClaim: ctx('approvalGroupsClaim') as string } : {}),
        },
      }
    : {}),
  ...(ctx('organizationTrail') === 'true' ? { organizationTrail: true } : {}),
});

for (const member of list('memberAccounts')) {
  if (!/^\d{12}$/.test(member)) fail(`memberAccounts: ${member} is not a 12-digit account id`);
  if (!account) fail('memberAccounts needs CDK_DEFAULT_ACCOUNT (the security account)');
  if (!ctx('organizationId'))
    fail(
      'memberAccounts needs organizationId: the central bus accepts forwarded events only from the organization',
    );
  new BedrockKeyGuardMemberStage(app, `Member-${member}`, {
    env: { account: member, region: homeRegion },
    rules,
    regions: list('regions').length ? list('regions') : [homeRegion],
    homeRegion,
    securityAccount: account as string,
    organizationId: ctx('organizationId') as string,
  });
}
