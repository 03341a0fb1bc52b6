/**
 * Starts `bks-sim` in its own process for a benchmark, so the simulator's CPU is not the measured
 * client's: writes the scenario to a temporary file, waits for the one "listening on" line, and
 * stops it with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface SimProcess {
  url: string;
  child: ChildProcess;
  /** Milliseconds from spawn to the "listening" line (scenario load included). */
  loadMs: number;
  stop(): Promise<void>;
}

export async function startSimProcess(scenario: unknown, nodeArgs: string[] = []): Promise<SimProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'bks-bench-sim-'));
  const file = join(dir, 'scenario.json');
  writeFileSync(file, JSON.stringify(scenario));
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, 'bin/bks-sim.mjs', '--scenario', file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m?.[1]) resolve(m[1]);
      else reject(new Error(`bks-sim said: ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`bks-sim exited ${code}`)));
  });
  return {
    url,
    child,
    loadMs: performance.now() - started,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
