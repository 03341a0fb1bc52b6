/**
 * `bks-sim --scenario FILE [--port N] [--host 127.0.0.1] [--shift-to-now]`: starts the simulated AWS account,
 * prints `bks-sim listening on http://HOST:PORT` when ready and runs until SIGTERM/SIGINT (exit 0).
 * Bad flags or a bad scenario: one line on stderr, exit 2.
 */
import { readFileSync } from 'node:fs';
import type { SimHandle } from './server';
import { shiftScenarioToNow } from './timeshift';

const USAGE = 'usage: bks-sim --scenario FILE [--port N] [--host 127.0.0.1] [--shift-to-now]';

/** The flags every `bks-sim` start shares. */
export interface SimArgs {
  scenario: string;
  port: number;
  host: string;
  shiftToNow: boolean;
}

/**
 * Parses `bks-sim`'s flags. `extra` takes the flags a wrapper adds (`--pipeline` and its options):
 * it returns true for a flag it consumed, reading its value with `value()`. Bad flags exit 2 with
 * one line and `usageLine`.
 */
export function parseSimArgs(
  argv: string[],
  usageLine = USAGE,
  extra: (flag: string, value: () => string, fail: (message: string) => never) => boolean = () => false,
): SimArgs {
  const fail = (message: string): never => usage(message, usageLine);
  let scenario: string | undefined;
  let port = 0;
  let host = '127.0.0.1';
  let shiftToNow = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    switch (flag) {
      case '--scenario':
        scenario = value();
        break;
      case '--port': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 65535) fail(`--port must be 0..65535 (got "${v}")`);
        port = Number(v);
        break;
      }
      case '--host':
        host = value();
        break;
      case '--shift-to-now':
        shiftToNow = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${usageLine}\n`);
        process.exit(0);
        break;
      default:
        if (!extra(flag, value, fail)) fail(`unknown argument "${a}"`);
    }
  }
  if (scenario === undefined) return fail('--scenario is required');
  return { scenario, port, host, shiftToNow };
}

export async function main(argv: string[]): Promise<void> {
  const { scenario, port, host, shiftToNow: shift } = parseSimArgs(argv);
  // The simulator's code loads once the flags are read: bad flags and --help answer without it.
  const { startSim } = await import('./server');
  let sim: SimHandle;
  try {
    sim = await startSim({ scenario: shift ? shiftedScenario(scenario) : scenario, port, host });
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

/** The scenario file with its times moved so that its `now` is the real current time. */
function shiftedScenario(file: string): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read scenario ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  return shiftScenarioToNow(raw);
}

function usage(message: string, usageLine = USAGE): never {
  process.stderr.write(`bks-sim: ${message}\n${usageLine}\n`);
  process.exit(2);
}
