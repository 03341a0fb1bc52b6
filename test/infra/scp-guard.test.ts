import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ScpGuard, type ScpGuardProps } from '../../infra/scp-guard';
import { isExplicitlyDenied, type PolicyDocument } from '../../src/policy/evaluate';
import { loadScpCatalog, renderScp } from '../../src/policy/scps';
import { scratchDirs } from '../helpers/scratch';

const scratch = scratchDirs('bks-cdk-');

function synth(props: ScpGuardProps) {
  const app = new App({ outdir: scratch() });
  const stack = new Stack(app, 'Org', { env: { account: '111122223333', region: 'us-east-1' } });
  new ScpGuard(stack, 'Guard', props);
  return { app, stack, template: Template.fromStack(stack) };
}

const entry = (name: string) => loadScpCatalog().find((e) => e.name === name)!;

describe('ScpGuard', () => {
  it('creates the chosen SCPs with the proven content and attaches them to the targets', () => {
    const targets = ['r-ab12', 'ou-ab12-34cd56ef', '222233334444'];
    const { template } = synth({
      controls: ['deny-long-term-api-keys', 'api-key-max-age', 'deny-phantom-escalation'],
      maxAgeDays: 30,
      targetIds: targets,
    });
    template.resourceCountIs('AWS::Organizations::Policy', 3);
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Name: 'bks-api-key-max-age',
      Type: 'SERVICE_CONTROL_POLICY',
      TargetIds: targets,
      Content: Match.objectEquals(renderScp(entry('api-key-max-age'), { maxAgeDays: 30 }) as never),
    });
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Name: 'bks-deny-long-term-api-keys',
      TargetIds: targets,
      Content: Match.objectEquals(renderScp(entry('deny-long-term-api-keys')) as never),
    });

    const policies = template.findResources('AWS::Organizations::Policy');
    const maxAge = Object.values(policies).find((r) => r.Properties.Name === 'bks-api-key-max-age')!;
    const content = maxAge.Properties.Content as PolicyDocument;
    const create = (age?: number) => ({
      action: 'iam:CreateServiceSpecificCredential',
      resource: 'arn:aws:iam::222233334444:user/alice',
      context: {
        'iam:ServiceSpecificCredentialServiceName': 'bedrock.amazonaws.com',
        ...(age === undefined ? {} : { 'iam:ServiceSpecificCredentialAgeDays': age }),
      },
    });
    expect(isExplicitlyDenied([content], create())).toBe(true);
    expect(isExplicitlyDenied([content], create(31))).toBe(true);
    expect(isExplicitlyDenied([content], create(30))).toBe(false);
  });

  it('exempts the one selftest role (and its canaries) where a control denies what bks selftest does', () => {
    const role = 'arn:aws:iam::111122223333:role/bks-selftest';
    const { template } = synth({
      controls: ['deny-phantom-users', 'deny-long-term-api-keys', 'api-key-max-age'],
      selftestRoleArn: role,
    });
    const content = (name: string) =>
      Object.values(template.findResources('AWS::Organizations::Policy')).find(
        (r) => r.Properties.Name === `bks-${name}`,
      )!.Properties.Content as PolicyDocument;
    const canary = 'arn:aws:iam::111122223333:user/BedrockAPIKey-bks-canary-k3v9q2m8x1';
    const createUser = (principal: string) => ({
      action: 'iam:CreateUser',
      resource: canary,
      context: { 'aws:PrincipalArn': principal },
    });
    expect(isExplicitlyDenied([content('deny-phantom-users')], createUser(role))).toBe(false);
    expect(isExplicitlyDenied([content('deny-phantom-users')], createUser(`${role}-2`))).toBe(true);
    const use = (principal: string) => ({
      action: 'bedrock:CallWithBearerToken',
      resource: '*',
      context: { 'bedrock:BearerTokenType': 'LONG_TERM', 'aws:PrincipalArn': principal },
    });
    expect(isExplicitlyDenied([content('deny-long-term-api-keys')], use(canary))).toBe(false);
    expect(
      isExplicitlyDenied(
        [content('deny-long-term-api-keys')],
        use(role.replace('role/bks-selftest', 'user/BedrockAPIKey-q7xk')),
      ),
    ).toBe(true);
    // api-key-max-age denies nothing the canary does (its key lives one day): unchanged.
    expect(content('api-key-max-age')).toEqual(renderScp(entry('api-key-max-age')));
    expect(() => synth({ controls: ['api-key-max-age'], selftestRoleArn: role })).toThrow(/exempts nothing/);
    expect(() =>
      synth({ controls: ['deny-phantom-users'], selftestRoleArn: 'arn:aws:iam::1:role/*' }),
    ).toThrow(/one IAM role/);
  });

  it('synthesizes a cloud assembly offline, as `cdk synth` does', () => {
    const { app } = synth({ controls: ['deny-api-keys'], namePrefix: 'sec-', tags: { owner: 'secops' } });
    const assembly = app.synth();
    const file = join(assembly.directory, 'Org.template.json');
    const template = JSON.parse(readFileSync(file, 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const [policy] = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Organizations::Policy');
    expect(policy?.Properties.Name).toBe('sec-deny-api-keys');
    expect(policy?.Properties).not.toHaveProperty('TargetIds');
    expect(policy?.Properties.Tags).toEqual([{ Key: 'owner', Value: 'secops' }]);
  });

  it('warns when five controls would fill every SCP slot of a target', () => {
    const { stack } = synth({
      controls: [
        'api-key-max-age',
        'deny-api-keys',
        'deny-long-term-api-keys',
        'deny-phantom-escalation',
        'deny-phantom-users',
      ],
      targetIds: ['ou-ab12-34cd56ef'],
    });
    Annotations.fromStack(stack).hasWarning('/Org/Guard', Match.stringLikeRegexp('fill every SCP slot'));
  });

  it.each([
    [{ controls: [] }, /at least one control/],
    [{ controls: ['deny-everything'] }, /unknown control "deny-everything"/],
    [{ controls: ['deny-api-keys', 'deny-api-keys'] }, /must not repeat/],
    [{ controls: ['deny-api-keys'], maxAgeDays: 30 }, /needs the api-key-max-age control/],
    [{ controls: ['api-key-max-age'], maxAgeDays: 0 }, /between 1 and 36600/],
    [{ controls: ['deny-api-keys'], targetIds: ['prod'] }, /"prod" is not a root/],
  ])('rejects bad props %j', (props, message) => {
    expect(() => synth(props as unknown as ScpGuardProps)).toThrow(message);
  });
});
