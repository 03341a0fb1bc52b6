/**
 * Start-up time of the built `bks` (dist/, as `npm i -g` installs it) against a bare `node -e 0`,
 * measured in the same run, interleaved, so that machine load hits every command alike.
 *
 *   npm run build && npx tsx bench/startup.ts [--runs 30]
 *
 * Each measure spawns a fresh process and waits for it to exit (what a shell or a pre-commit hook
 * pays). Prints median and p90 wall times and each command's ratio to bare node; the target is
 * `bks --version` and `decode-key` from stdin within 2x of bare node. It also prints the mean CPU
 * time (user + system) of each command's process, read from the kernel's accounting of this
 * process's waited-for children (Linux): on a machine busy with other work the wall times stretch
 * with the load, the CPU times much less, so their ratio is the steadier comparison.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderTable } from '../src/cli/common';
import { encodeLongTermKey, longTermAlias } from '../src/keys';
import { SERVICES } from '../src/services';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const root = resolve(import.meta.dirname, '..');
const bks = join(root, 'dist/bks.mjs');
if (!existsSync(bks)) {
  process.stderr.write('bench/startup.ts: dist/bks.mjs is missing: run `npm run build` first\n');
  process.exit(2);
}
const runs = Number(arg('runs', '30'));
const bedrock = SERVICES.find((s) => s.id === 'bedrock')!;
// A key built from parts (never a literal in the tree).
const key = encodeLongTermKey(
  bedrock,
  `${longTermAlias('BedrockAPIKey-b3nc', '123456789012', 0)}`,
  'x'.repeat(40),
);
const dir = mkdtempSync(join(tmpdir(), 'bks-bench-startup-'));
writeFileSync(join(dir, 'settings.py'), `API_KEY = "${key}"\n`);

interface Case {
  name: string;
  args: string[];
  input?: string;
  expect: number;
}
const cases: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'], expect: 0 },
  { name: 'bks --version', args: [bks, '--version'], expect: 0 },
  { name: 'bks decode-key < key (stdin)', args: [bks, 'decode-key'], input: `${key}\n`, expect: 0 },
  { name: 'bks --help', args: [bks, '--help'], expect: 0 },
  { name: 'bks find-keys FILE (1 key)', args: [bks, 'find-keys', join(dir, 'settings.py')], expect: 1 },
  { name: 'bks scan --help', args: [bks, 'scan', '--help'], expect: 0 },
  // What `bks` was before the bundle: the sources through tsx (still the tests' launcher).
  { name: 'bks --version (sources via tsx)', args: [join(root, 'bin/bks.mjs'), '--version'], expect: 0 },
];

/**
 * CPU milliseconds (user + system) of this process's waited-for children so far (`cutime` and
 * `cstime` of /proc/self/stat, in clock ticks of 10 ms), or undefined where there is no /proc.
 */
function childrenCpuMs(): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10; // fields 16 and 17 of proc(5), at 100 Hz
}

const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const cpu = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
for (let r = 0; r < runs + 2; r++) {
  for (const c of cases) {
    const c0 = childrenCpuMs();
    const t0 = process.hrtime.bigint();
    const p = spawnSync(process.execPath, c.args, { input: c.input ?? '', encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const c1 = childrenCpuMs();
    if (p.status !== c.expect) {
      process.stderr.write(`${c.name}: exit ${p.status} (expected ${c.expect})\n${p.stderr}`);
      process.exit(3);
    }
    if (r >= 2) {
      // the first two rounds warm the page cache
      times.get(c.name)!.push(ms);
      if (c0 !== undefined && c1 !== undefined) cpu.get(c.name)!.push(c1 - c0);
    }
  }
}
rmSync(dir, { recursive: true, force: true });

const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const base = q(times.get('node -e 0')!, 0.5);
process.stdout.write(
  `bench/startup.ts: ${runs} runs each, interleaved; node ${process.version}, ${cpus().length} CPUs, load average before ${load}, after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n\n`,
);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cpuBase = mean(cpu.get('node -e 0')!);
const hasCpu = cpu.get('node -e 0')!.length > 0;
process.stdout.write(
  `${renderTable(
    [
      'command',
      'median ms',
      'p90 ms',
      'x bare node (median)',
      ...(hasCpu ? ['cpu ms (mean)', 'x bare node (cpu)'] : []),
    ],
    cases.map((c) => {
      const xs = times.get(c.name)!;
      const cs = cpu.get(c.name)!;
      return [
        c.name,
        q(xs, 0.5).toFixed(1),
        q(xs, 0.9).toFixed(1),
        (q(xs, 0.5) / base).toFixed(2),
        ...(hasCpu ? [mean(cs).toFixed(1), (mean(cs) / cpuBase).toFixed(2)] : []),
      ];
    }),
  )}\n`,
);
const worst =
  Math.max(q(times.get('bks --version')!, 0.5), q(times.get('bks decode-key < key (stdin)')!, 0.5)) / base;
process.stdout.write(
  `\ntarget (--version and decode-key within 2x of bare node): ${worst <= 2 ? 'met' : 'MISSED'} (${worst.toFixed(2)}x)\n`,
);
