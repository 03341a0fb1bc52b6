/**
 * Runs cfn-lint (AWS's CloudFormation linter, a Python package of the machine's python3) over
 * synthesized templates, each in its own region. Where it is missing the check is skipped locally
 * and fails on CI (`CI` set).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { onCi, TOOLS } from '../helpers/tools';

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

/** `it.skipIf(skipCfnLint)`: skipped only off CI (on CI a missing cfn-lint fails the test). */
export const skipCfnLint = !TOOLS.cfnLint.present() && !onCi();

const SESSION = fileURLToPath(new URL('./cfn-lint-session.py', import.meta.url));

/** The cfn-lint process of one test file: start it before the synth, lint, close it in `afterAll`. */
export interface CfnLint {
  /**
   * The matches of every level in each template (checked in its region, exactly as `cfn-lint
   * --format json --regions REGION -- FILE` would) that no `ACCEPTED` entry covers. Rejects when
   * cfn-lint cannot run (on CI that is a failure, not a skip).
   */
  lint(filesByRegion: Readonly<Record<string, string>>): Promise<LintMatch[]>;
  /** Ends the process and waits for it (so its CPU time is the test file's). */
  close(): Promise<void>;
}

/**
 * Starts one cfn-lint process (test/infra/cfn-lint-session.py, cfn-lint's own runner behind a
 * line protocol) for all the templates of a test file: the command line pays about a second of
 * CPU to start for every template. Started before the synth, it loads while the app synthesizes.
 */
export function startCfnLint(): CfnLint {
  const proc = spawn('python3', [SESSION], { stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting: Array<{ file: string; resolve: (m: LintMatch[]) => void; reject: (e: Error) => void }> = [];
  let stderr = '';
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  const exited = new Promise<void>((resolve) => {
    proc.on('close', (code, signal) => {
      const why = stderr.trim() ? `: ${stderr.trim()} (${TOOLS.cfnLint.install})` : '';
      fail(new Error(`cfn-lint ended (exit ${code ?? signal})${why}`));
      resolve();
    });
  });
  proc.on('error', (e) => fail(new Error(`cfn-lint could not run: ${e.message}`)));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  proc.stdin.on('error', () => {}); // a process that died is reported by 'close'
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (!w) return;
    const answer = JSON.parse(line) as { matches?: LintMatch[]; error?: string };
    if (answer.matches) w.resolve(answer.matches);
    else w.reject(new Error(`cfn-lint failed on ${w.file}: ${answer.error}`));
  });
  const one = (region: string, file: string) =>
    new Promise<LintMatch[]>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.push({ file, resolve, reject });
      proc.stdin.write(`${JSON.stringify({ file, region })}\n`);
    });
  return {
    async lint(filesByRegion) {
      const all = await Promise.all(Object.entries(filesByRegion).map(([region, file]) => one(region, file)));
      return all
        .flat()
        .filter((m) => !ACCEPTED.some((a) => a.rule === m.Rule.Id && a.message.test(m.Message)));
    },
    async close() {
      proc.stdin.end();
      await exited;
    },
  };
}

/**
 * For a test file: its cfn-lint process, started now (it loads while the file synthesizes) and
 * closed after the file's tests. `lint(files)` starts linting at once and the test awaits the
 * promise: a failure is reported by that test, never as an unhandled rejection before it.
 */
export function cfnLintForFile(): Pick<CfnLint, 'lint'> {
  const quiet = (p: Promise<LintMatch[]>) => {
    p.catch(() => {});
    return p;
  };
  if (skipCfnLint) return { lint: () => quiet(Promise.reject(new Error(`missing: ${TOOLS.cfnLint.name}`))) };
  const session = startCfnLint();
  afterAll(() => session.close());
  return { lint: (files) => quiet(session.lint(files)) };
}

/** One line per match, for a readable assertion failure. */
export const lintLines = (ms: readonly LintMatch[]) => ms.map((m) => `${m.Level} ${m.Rule.Id}: ${m.Message}`);
