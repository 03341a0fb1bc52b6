/**
 * Synthesizes the pipeline offline once per test file (esbuild bundling, no Docker, no AWS) with
 * cdk-nag's AwsSolutions pack, and exposes the templates and the validation report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BedrockKeyGuard, type BedrockKeyGuardProps } from '../../infra/guard';

export interface Violation {
  plugin: string;
  rule: string;
  severity: string;
  path: string;
}

export interface Synthesized {
  app: App;
  stack: Stack;
  guard: BedrockKeyGuard;
  templates: Record<
    string,
    { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }
  >;
  violations: Violation[];
  /** The template files, by region. */
  files: Record<string, string>;
  error?: string;
}

/** `outdir`: where the cloud assembly goes (a scratch folder of the test file, test/helpers/scratch.ts). */
export function synthGuard(
  props: BedrockKeyGuardProps,
  outdir: string,
  stackId = 'Bks',
  region = 'eu-west-1',
): Synthesized {
  process.env['CDK_DISABLE_CLI_TELEMETRY'] = 'true';
  const app = new App({ outdir });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, stackId, { env: { account: '111111111111', region } });
  const guard = new BedrockKeyGuard(stack, 'Guard', props);
  let error: string | undefined;
  try {
    app.synth();
  } catch (err) {
    error = String(err);
  }
  const violations: Violation[] = [];
  const reportFile = join(outdir, 'validation-report.json');
  if (existsSync(reportFile)) {
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      pluginReports: Array<{
        pluginName: string;
        violations: Array<{
          ruleName: string;
          severity: string;
          violatingConstructs: Array<{ constructPath: string }>;
        }>;
      }>;
    };
    for (const p of report.pluginReports) {
      for (const v of p.violations) {
        for (const c of v.violatingConstructs) {
          violations.push({
            plugin: p.pluginName,
            rule: v.ruleName,
            severity: v.severity,
            path: c.constructPath,
          });
        }
      }
    }
  }
  const templates: Synthesized['templates'] = {};
  const files: Record<string, string> = {};
  for (const s of [stack, ...guard.regionalStacks]) {
    const file = join(outdir, `${s.artifactId}.template.json`);
    if (!existsSync(file)) continue;
    templates[s.region] = JSON.parse(readFileSync(file, 'utf8'));
    files[s.region] = file;
  }
  return { app, stack, guard, templates, files, violations, ...(error ? { error } : {}) };
}
