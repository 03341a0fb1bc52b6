/**
 * `bks-sim --pipeline --scenario FILE [--port N] [--host H] [--shift-to-now]
 *  [--security-account ID] [--approval-timeout SECONDS]`: the simulated AWS account with the
 * project's detection and response pipeline deployed into it (see ./pipeline.ts). Prints
 * `bks-sim listening on http://HOST:PORT` on stdout when ready, then one line per pipeline event on
 * stderr, and runs until SIGTERM/SIGINT (exit 0). Bad flags or a bad scenario: one line on stderr,
 * exit 2.
 */
import { LivePipeline } from './pipeline';

const USAGE =
  'usage: bks-sim --pipeline --scenario FILE [--port N] [--host 127.0.0.1] [--shift-to-now] ' +
  '[--security-account ID] [--approval-timeout SECONDS]';

function usage(message: string): never {
  process.stderr.write(`bks-sim: ${message}\n${USAGE}\n`);
  process.exit(2);
}

export async function main(argv: string[]): Promise<void> {
  let scenario: string | undefined;
  let port = 0;
  let host = '127.0.0.1';
  let shiftToNow = false;
  let securityAccount: string | undefined;
  let approvalTimeoutSeconds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    switch (flag) {
      case '--pipeline':
        break;
      case '--scenario':
        scenario = value();
        break;
      case '--port': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 65535) usage(`--port must be 0..65535 (got "${v}")`);
        port = Number(v);
        break;
      }
      case '--host':
        host = value();
        break;
      case '--shift-to-now':
        shiftToNow = true;
        break;
      case '--security-account': {
        const v = value();
        if (!/^\d{12}$/.test(v)) usage(`--security-account must be a 12-digit account id (got "${v}")`);
        securityAccount = v;
        break;
      }
      case '--approval-timeout': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 604_800) {
          usage(`--approval-timeout must be 1..604800 seconds (got "${v}")`);
        }
        approvalTimeoutSeconds = Number(v);
        break;
      }
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        return;
      default:
        usage(`unknown argument "${a}"`);
    }
  }
  if (scenario === undefined) usage('--scenario is required');
  const pipeline = new LivePipeline({
    scenario,
    port,
    host,
    shiftToNow,
    ...(securityAccount ? { securityAccount } : {}),
    ...(approvalTimeoutSeconds ? { approvalTimeoutSeconds } : {}),
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
