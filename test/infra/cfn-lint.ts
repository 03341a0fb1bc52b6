/**
 * Runs `cfn-lint` (AWS's CloudFormation linter, a Python tool on PATH) over synthesized templates,
 * each in its own region. Where it is missing the check is skipped locally and fails on CI (`CI` set).
 */
import { spawnSync } from 'node:child_process';

export interface LintMatch {
  Level: 'Error' | 'Warning' | 'Informational';
  Rule: { Id: string };
  Message: string;
  Filename: string;
}

/** A finding accepted on purpose: the rule, what its message says, and why. */
export interface LintException {
  rule: string;
  message: RegExp;
  reason: string;
}

/** The findings every pipeline template is allowed, each with its reason. */
export const ACCEPTED: readonly LintException[] = [
  {
    rule: 'W3005',
    message: /dependency already enforced by a 'GetAtt'/,
    reason:
      "CDK makes each function depend on its role's default policy and on the role; the role half is redundant " +
      'with the GetAtt but harmless (CloudFormation orders them the same way).',
  },
  {
    rule: 'E3006',
    message: /Resource type 'AWS::SecurityHub::ActionTarget' does not exist/,
    reason:
      "AWS::SecurityHub::ActionTarget is a documented CloudFormation type (CreateActionTarget); cfn-lint's regional " +
      'resource table lags behind it.',
  },
];

export const hasCfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
/** `it.skipIf(skipCfnLint)`: skipped only off CI. */
export const skipCfnLint = !hasCfnLint && !process.env['CI'];

/**
 * The matches of every level in each template (checked in its region) that no `ACCEPTED` entry
 * covers. Throws when cfn-lint cannot run (on CI that is a failure, not a skip).
 */
export function cfnLint(filesByRegion: Readonly<Record<string, string>>): LintMatch[] {
  const out: LintMatch[] = [];
  for (const [region, file] of Object.entries(filesByRegion)) {
    const r = spawnSync('cfn-lint', ['--format', 'json', '--regions', region, '--', file], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw new Error(`cfn-lint could not run: ${r.error.message}`);
    // The exit code is a bit mask of the levels found (2 error, 4 warning, 8 informational); 1 is a crash.
    if (r.status === 1 || !r.stdout.trim().startsWith('['))
      throw new Error(`cfn-lint failed on ${file}: ${r.stderr || r.stdout}`);
    for (const m of JSON.parse(r.stdout) as LintMatch[])
      if (!ACCEPTED.some((a) => a.rule === m.Rule.Id && a.message.test(m.Message))) out.push(m);
  }
  return out;
}

/** One line per match, for a readable assertion failure. */
export const lintLines = (ms: readonly LintMatch[]) => ms.map((m) => `${m.Level} ${m.Rule.Id}: ${m.Message}`);
