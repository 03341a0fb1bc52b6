/**
 * `bks-sim --scenario FILE [--port N] [--host 127.0.0.1]`: starts the simulated AWS account,
 * prints `bks-sim listening on http://HOST:PORT` when ready and runs until SIGTERM/SIGINT (exit 0).
 * Bad flags or a bad scenario: one line on stderr, exit 2.
 */
import { startSim } from './server';

const USAGE = 'usage: bks-sim --scenario FILE [--port N] [--host 127.0.0.1]';

export async function main(argv: string[]): Promise<void> {
  let scenario: string | undefined;
  let port = 0;
  let host = '127.0.0.1';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) return usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--scenario':
        scenario = value();
        break;
      case '--port': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 65535) return usage(`--port must be 0..65535 (got "${v}")`);
        port = Number(v);
        break;
      }
      case '--host':
        host = value();
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        return;
      default:
        return usage(`unknown argument "${a}"`);
    }
  }
  if (scenario === undefined) return usage('--scenario is required');
  let sim: Awaited<ReturnType<typeof startSim>>;
  try {
    sim = await startSim({ scenario, port, host });
  } catch (e) {
    process.stderr.write(`bks-sim: ${(e as Error).message}\n`);
    process.exit(2);
    return;
  }
  process.stdout.write(`bks-sim listening on ${sim.url}\n`);
  const stop = () => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function usage(message: string): never {
  process.stderr.write(`bks-sim: ${message}\n${USAGE}\n`);
  process.exit(2);
}
