/**
 * `bks-sim --pipeline --scenario FILE [--port N] [--host H] [--shift-to-now]
 *  [--security-account ID] [--approval-timeout SECONDS] [--approver-groups soc,…] [--template FILE]`:
 * the simulated AWS account with the project's detection and response pipeline deployed into it
 * (see ./pipeline.ts);
 * analysts sign in to the approval page at the simulator's test OIDC provider and must be in one of
 * the approver groups (default `soc`). `--template` names a synthesized BedrockKeyGuard template
 * (`cdk synth`) whose EventInvokeConfig resources set the functions' retries and on-failure
 * destination (default: what the CDK construct writes). Prints
 * `bks-sim listening on http://HOST:PORT` on stdout when ready, then one line per pipeline event on
 * stderr, and runs until SIGTERM/SIGINT (exit 0). Bad flags or a bad scenario: one line on stderr,
 * exit 2.
 */

import { readFileSync } from 'node:fs';
import { parseSimArgs } from '../sim/main';
import { asyncInvokeFromTemplate, type CfnTemplate } from './async-invoke';

/** A synthesized template: readable JSON with `Resources` whose async settings this reader maps. */
function readTemplate(file: string, fail: (message: string) => never): CfnTemplate {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0];
    return fail(`--template ${file}: cannot read a JSON template (${why})`);
  }
  const resources = (doc as { Resources?: unknown } | null)?.Resources;
  if (!resources || typeof resources !== 'object') return fail(`--template ${file}: no Resources section`);
  const template = doc as CfnTemplate;
  try {
    asyncInvokeFromTemplate(template);
  } catch (e) {
    return fail(`--template ${file}: ${(e as Error).message}`);
  }
  return template;
}

const USAGE =
  'usage: bks-sim --pipeline --scenario FILE [--port N] [--host 127.0.0.1] [--shift-to-now] ' +
  '[--security-account ID] [--approval-timeout SECONDS] [--approver-groups soc,…] [--template FILE]';

export async function main(argv: string[]): Promise<void> {
  let securityAccount: string | undefined;
  let approvalTimeoutSeconds: number | undefined;
  let approverGroups: string[] | undefined;
  let template: CfnTemplate | undefined;
  const { scenario, port, host, shiftToNow } = parseSimArgs(argv, USAGE, (flag, value, fail) => {
    switch (flag) {
      case '--pipeline':
        return true;
      case '--security-account': {
        const v = value();
        if (!/^\d{12}$/.test(v)) fail(`--security-account must be a 12-digit account id (got "${v}")`);
        securityAccount = v;
        return true;
      }
      case '--approval-timeout': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 604_800) {
          fail(`--approval-timeout must be 1..604800 seconds (got "${v}")`);
        }
        approvalTimeoutSeconds = Number(v);
        return true;
      }
      case '--approver-groups': {
        const v = value();
        const groups = v.split(',').map((g) => g.trim());
        if (groups.length === 0 || groups.some((g) => !/^[^\s,]{1,256}$/.test(g)))
          fail(`--approver-groups must be a comma-separated list of group names (got "${v}")`);
        approverGroups = groups;
        return true;
      }
      case '--template': {
        const file = value();
        template = readTemplate(file, fail);
        return true;
      }
      default:
        return false;
    }
  });
  // The pipeline's code loads once the flags are read: bad flags and --help answer without it.
  const { LivePipeline } = await import('./pipeline');
  const pipeline = new LivePipeline({
    scenario,
    port,
    host,
    shiftToNow,
    ...(securityAccount ? { securityAccount } : {}),
    ...(approvalTimeoutSeconds ? { approvalTimeoutSeconds } : {}),
    ...(approverGroups ? { approverGroups } : {}),
    ...(template ? { template } : {}),
    log: (line) => process.stderr.write(`bks-sim pipeline: ${line}\n`),
  });
  try {
    await pipeline.start();
  } catch (e) {
    process.stderr.write(`bks-sim: ${(e as Error).message.split('\n')[0]}\n`);
    process.exit(2);
    return;
  }
  process.stdout.write(`bks-sim listening on ${pipeline.sim.url}\n`);
  const stop = () => {
    pipeline.stop().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
