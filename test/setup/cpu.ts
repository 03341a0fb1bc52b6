/**
 * Vitest setup (every test file), opt-in: with `BKS_TEST_CPU_LOG=FILE` each test file appends one
 * JSON line to FILE when it ends — its path, the CPU time of the worker process that ran it (user +
 * system, the file's imports included) and of the child processes it waited for (bks-sim, the CLI,
 * cfn-lint, esbuild, npm: the kernel's `cutime`/`cstime` of /proc/self/stat), and its wall time.
 * Files of the projects with `isolate: false` (vitest.config.mts) share `forks` workers, so each file
 * is charged what its worker spent since the previous file ended there (the first file of a worker
 * pays its start and the imports the later ones reuse); the other files get a fresh worker each. On a
 * loaded machine wall times stretch with the load; CPU times do not, which is why
 * `bench/test-suite.ts` ranks files and areas by them.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { afterAll, expect } from 'vitest';

const LOG = process.env['BKS_TEST_CPU_LOG'];
const ROOT = resolve(import.meta.dirname, '../..');

/** CPU seconds of the waited-for children (Linux; 0 where /proc is missing). */
function childrenCpu(): number {
  try {
    // Fields after the command name (which may hold spaces, inside parentheses): cutime and cstime
    // are fields 16 and 17 of the line, in clock ticks (USER_HZ, 100 on Linux).
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return 0;
  }
}

export interface FileCpu {
  file: string;
  /** CPU seconds of the worker process (user + system). */
  cpu: number;
  /** CPU seconds of the child processes it started and waited for. */
  children: number;
  /** Seconds from the worker's start (or the previous file's end in it) to the file's end. */
  wall: number;
  pid: number;
}

/** What this worker had spent when its previous file ended (kept across files that share it). */
const spent = globalThis as { bksCpuSpent?: { cpu: number; children: number; wall: number } };

if (LOG) {
  afterAll(() => {
    const u = process.cpuUsage();
    const now = { cpu: (u.user + u.system) / 1e6, children: childrenCpu(), wall: process.uptime() };
    const before = spent.bksCpuSpent ?? { cpu: 0, children: 0, wall: 0 };
    spent.bksCpuSpent = now;
    const line: FileCpu = {
      file: relative(ROOT, expect.getState().testPath ?? 'unknown'),
      cpu: now.cpu - before.cpu,
      children: now.children - before.children,
      wall: now.wall - before.wall,
      pid: process.pid,
    };
    appendFileSync(LOG, `${JSON.stringify(line)}\n`);
  });
}
