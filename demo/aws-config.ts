/**
 * The shared AWS config file of the demo organization: `default` (the organization's management
 * account credentials), plain profiles on the same credentials, and one profile per member account
 * that assumes its OrganizationAccountAccessRole. The demo and the docs-examples test write it.
 */
export function demoAwsConfig(roleProfiles: Record<string, string>, plainProfiles: string[] = []): string {
  return [
    '[default]',
    'region = us-east-1',
    ...plainProfiles.flatMap((name) => [`[profile ${name}]`, 'region = us-east-1']),
    ...Object.entries(roleProfiles).flatMap(([name, account]) => [
      `[profile ${name}]`,
      `role_arn = arn:aws:iam::${account}:role/OrganizationAccountAccessRole`,
      'source_profile = default',
      'region = us-east-1',
    ]),
    '',
  ].join('\n');
}
