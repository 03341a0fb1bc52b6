/**
 * Benchmark of `bks find-keys`: a generated corpus of source-like text (default 200 MB) with planted
 * keys of every format and decoys, scanned single-process by the same code the command runs
 * (decoding every hit), next to `grep -E` (and ripgrep when installed) with the same prefixes.
 *
 *   npx tsx bench/find-keys.ts [--mb 200] [--runs 3] [--dir $TMPDIR/bks-bench-find-keys-corpus]
 *
 * Prints a table: wall time (median of the runs, page cache warm), throughput, recall over the
 * planted keys, false positives (findings at no planted location, decoys included), peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderTable } from '../src/cli/common';
import {
  accessKeyIdForAccount,
  buildShortTermKey,
  encodeLongTermKey,
  findKeysInPaths,
  longTermAlias,
  SCAN_PREFIXES,
  scanFile,
} from '../src/keys';
import { SERVICES } from '../src/services';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const MB = Number(arg('mb', '200'));
const RUNS = Number(arg('runs', '3'));
const DIR = resolve(arg('dir', join(tmpdir(), 'bks-bench-find-keys-corpus')));
const SEED = 20260702;
const FILE_BYTES = 1024 * 1024;
const KEYS_PER_FORMAT = 60;
const BEARER_VALUES = 40;
const DECOYS = 600;

/** xorshift32: a reproducible corpus. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(a: readonly T[]) => a[Math.floor(next() * a.length)]!,
    bytes: (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256)),
    word: (chars: string, n: number) =>
      Array.from({ length: n }, () => chars[Math.floor(next() * chars.length)]).join(''),
  };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SECRET_CHARS = `${ALNUM}+/=`;

interface Planted {
  file: string;
  line: number;
  column: number;
  label: string;
}

/** Source-like lines, including near-misses: prefixes in prose, base64 blobs with AEAA, env lookups. */
function fillerLines(r: ReturnType<typeof rng>): string[] {
  const idents = [
    'value',
    'client',
    'bedrock',
    'token',
    'config',
    'region',
    'model',
    'request',
    'response',
    'ABS',
    'AEA',
    'apiKey',
  ];
  const lines: string[] = [];
  for (let i = 0; i < 4000; i++) {
    const a = r.pick(idents);
    const b = r.pick(idents);
    // Near-misses (a prefix in prose, an env lookup) on about 1 line in 200 each; binary base64 on 1 in 24.
    const roll = r.int(400);
    const pick = roll < 2 ? 2 : roll < 4 ? 4 : roll < 20 ? 3 : [0, 1, 5, 6, 7, 8, 9, 10, 11][roll % 9]!;
    switch (pick) {
      case 0:
        lines.push(`import { ${a}, ${b} } from './${a}/${b}';`);
        break;
      case 1:
        lines.push(
          `  const ${a}${r.int(100)} = await ${b}.send(new ${a[0]!.toUpperCase()}${a.slice(1)}Command({ id: ${r.int(1e6)} }));`,
        );
        break;
      case 2:
        lines.push(`  // ${a} ${b}: see the docs about the bedrock-api-key- prefix and ABSK keys`);
        break;
      case 3:
        // base64 of binary data (a quarter of the bytes zero): ABSK/AEAA-like runs occur in it
        lines.push(
          `  "data": "${Buffer.from(Uint8Array.from({ length: 48 + r.int(60) }, () => (r.next() < 0.25 ? 0 : r.int(256)))).toString('base64')}",`,
        );
        break;
      case 4:
        lines.push(`  token = os.environ.get("AWS_BEARER_TOKEN_BEDROCK")`);
        break;
      case 5:
        lines.push(`def ${a}_${b}(self, ${a}: str) -> dict:`);
        break;
      case 6:
        lines.push(`    return {"${a}": self.${b}, "count": ${r.int(1000)}}`);
        break;
      case 7:
        lines.push(`<div class="${a}-${b}">${r.word(ALNUM, 20)}</div>`);
        break;
      case 8:
        lines.push(`  ${a}_${b}: ${r.word(ALNUM, 32)}`);
        break;
      case 9:
        lines.push('');
        break;
      case 10:
        lines.push(`    if (${a} !== undefined && ${b}.length > ${r.int(64)}) throw new Error('${a} ${b}');`);
        break;
      default:
        lines.push(`}`);
    }
  }
  return lines;
}

function secret(r: ReturnType<typeof rng>): string {
  return r.word(SECRET_CHARS, 40 + r.int(30));
}

function keyFor(r: ReturnType<typeof rng>, formatIndex: number): { key: string; label: string } {
  const service = SERVICES[formatIndex >> 1]!;
  const account = String(100000000000 + r.int(899999999999)).padStart(12, '0');
  if ((formatIndex & 1) === 0) {
    const user = r.pick([
      `${service.phantomUserPrefix}${r.word(ALNUM, 4)}`,
      `svc-${r.word(ALNUM, 6)}-at-corp+ci`,
      r.word(ALNUM, 10),
    ]);
    return {
      key: encodeLongTermKey(service, longTermAlias(user, account, r.int(2)), secret(r)),
      label: `${service.id}-long-term`,
    };
  }
  const type = r.next() < 0.7 ? 'ASIA' : 'AKIA';
  return {
    key: buildShortTermKey(service, {
      accessKeyId: accessKeyIdForAccount(type, account, r.bytes(6)),
      region: r.pick(['us-east-1', 'eu-west-1', 'us-gov-west-1', 'ap-northeast-1']),
      issuedAt: new Date(Date.UTC(2026, r.int(12), 1 + r.int(28), r.int(24), r.int(60), r.int(60))),
      expiresSeconds: 1 + r.int(43200),
      sessionToken: type === 'ASIA' ? r.word(SECRET_CHARS, 400 + r.int(600)) : undefined,
      signature: r.word('0123456789abcdef', 64),
    }),
    label: `${service.id}-short-term`,
  };
}

/** Texts that start like keys and are not keys. */
function decoy(r: ReturnType<typeof rng>): string {
  const s = r.pick(SERVICES);
  const b64 = (x: string | Uint8Array) => Buffer.from(x).toString('base64');
  const acct = String(100000000000 + r.int(899999999999));
  switch (r.int(8)) {
    case 0: // random base64 after a long-term prefix
      return s.longTermPrefix + b64(r.bytes(40 + r.int(60)));
    case 1: // random base64 after a short-term prefix
      return s.shortTermPrefix + b64(r.bytes(200 + r.int(400)));
    case 2: {
      // truncated inside the alias
      const k = encodeLongTermKey(s, longTermAlias(`${s.phantomUserPrefix}abcd`, acct, 0), secret(r));
      return k.slice(0, s.longTermPrefix.length + 8 + r.int(12));
    }
    case 3: // wrong alias: no -at-<account>
      return encodeLongTermKey(s, `${s.phantomUserPrefix}${r.word(ALNUM, 4)}`, secret(r));
    case 4: // wrong alias: 11-digit account
      return encodeLongTermKey(s, `${s.phantomUserPrefix}${r.word(ALNUM, 4)}-at-${acct.slice(1)}`, secret(r));
    case 5: {
      // a short-term key signed for another service
      const other = SERVICES.find((x) => x.id !== s.id) ?? s;
      const k = buildShortTermKey(other, {
        accessKeyId: accessKeyIdForAccount('AKIA', acct, r.bytes(6)),
        region: 'us-east-1',
        issuedAt: new Date(),
      });
      return s.shortTermPrefix + k.slice(other.shortTermPrefix.length);
    }
    case 6: {
      // truncated short-term key
      const k = buildShortTermKey(s, {
        accessKeyId: accessKeyIdForAccount('AKIA', acct, r.bytes(6)),
        region: 'us-east-1',
        issuedAt: new Date(),
      });
      return k.slice(0, s.shortTermPrefix.length + 40 + r.int(80));
    }
    default: // a bearer variable set from a reference, not a value
      return `AWS_BEARER_TOKEN_BEDROCK=\${{ secrets.BEDROCK_${r.word('ABCDEFGH', 4)} }}`;
  }
}

function generate(): { planted: Planted[]; bytes: number } {
  const manifestPath = join(DIR, 'manifest.json');
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      mb: number;
      seed: number;
      planted: Planted[];
      bytes: number;
    };
    if (m.mb === MB && m.seed === SEED) return m;
  }
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const r = rng(SEED);
  const lines = fillerLines(r);
  const files = Math.max(1, Math.round((MB * 1000 * 1000) / FILE_BYTES));
  // Which file and which slot gets each planted item.
  type Item = { kind: 'key' | 'bearer' | 'decoy'; text: string; label: string; column: number };
  const items: Item[][] = Array.from({ length: files }, () => []);
  for (let f = 0; f < SERVICES.length * 2; f++) {
    for (let i = 0; i < KEYS_PER_FORMAT; i++) {
      const { key, label } = keyFor(r, f);
      const wrap = r.pick([
        (k: string) => ({ text: `  const apiKey = "${k}";`, column: 19 }),
        (k: string) => ({ text: `AWS_BEARER_TOKEN_BEDROCK=${k}`, column: 26 }),
        (k: string) => ({ text: `    Authorization: Bearer ${k}`, column: 27 }),
        (k: string) => ({ text: `${k}`, column: 1 }),
      ]);
      items[r.int(files)]!.push({ kind: 'key', label, ...wrap(key) });
    }
  }
  for (let i = 0; i < BEARER_VALUES; i++) {
    items[r.int(files)]!.push({
      kind: 'bearer',
      label: 'bearer-env-assignment',
      text: `export AWS_BEARER_TOKEN_BEDROCK='${r.word(ALNUM, 24)}'`,
      column: 8,
    });
  }
  for (let i = 0; i < DECOYS; i++) {
    items[r.int(files)]!.push({ kind: 'decoy', label: 'decoy', text: `  x = "${decoy(r)}"`, column: 0 });
  }
  const planted: Planted[] = [];
  let bytes = 0;
  for (let f = 0; f < files; f++) {
    const name = `src/m${String(f % 20).padStart(2, '0')}/file${String(f).padStart(4, '0')}.${r.pick(['py', 'yml', 'md', 'go', 'java', 'rb'])}`;
    const out: string[] = [];
    let size = 0;
    const mine = items[f]!;
    // Spread this file's items over its lines.
    const slots = new Map<number, Item[]>();
    const approxLines = Math.round(FILE_BYTES / 40);
    for (const it of mine) {
      const at = r.int(approxLines);
      slots.set(at, [...(slots.get(at) ?? []), it]);
    }
    while (size < FILE_BYTES) {
      const here = slots.get(out.length);
      if (here) {
        slots.delete(out.length);
        for (const it of here) {
          out.push(it.text);
          size += it.text.length + 1;
          if (it.kind !== 'decoy')
            planted.push({ file: join(DIR, name), line: out.length, column: it.column, label: it.label });
        }
      }
      const l = r.pick(lines);
      out.push(l);
      size += l.length + 1;
    }
    for (const leftovers of slots.values()) {
      for (const it of leftovers) {
        out.push(it.text);
        if (it.kind !== 'decoy')
          planted.push({ file: join(DIR, name), line: out.length, column: it.column, label: it.label });
      }
    }
    const text = `${out.join('\n')}\n`;
    mkdirSync(join(DIR, name, '..'), { recursive: true });
    writeFileSync(join(DIR, name), text);
    bytes += Buffer.byteLength(text);
  }
  writeFileSync(manifestPath, JSON.stringify({ mb: MB, seed: SEED, planted, bytes }));
  return { planted, bytes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeCommand(cmd: string, args: string[]): number | undefined {
  const t = performance.now();
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 1 << 30,
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (r.error || (r.status !== 0 && r.status !== 1)) return undefined;
  return (performance.now() - t) / 1000;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { planted, bytes } = generate();
  const genSeconds = (performance.now() - t0) / 1000;
  const pattern = SCAN_PREFIXES.join('|');
  const mb = bytes / 1e6;
  const hasRg = spawnSync('rg', ['--version']).status === 0;

  // Warm the page cache once so every tool reads from memory.
  timeCommand('cat', ['-r', DIR]);
  spawnSync('sh', ['-c', `find "${DIR}" -type f -exec cat {} + > /dev/null`]);

  const times: Record<string, number[]> = { bks: [], grep: [], rg: [] };
  let result: Awaited<ReturnType<typeof findKeysInPaths>> | undefined;
  let peakRss = 0;
  for (let run = 0; run < RUNS; run++) {
    const g = timeCommand('grep', ['-E', '-r', '-c', '-e', pattern, DIR]);
    if (g !== undefined) times.grep!.push(g);
    if (hasRg) {
      const t = timeCommand('rg', ['-j1', '-c', '--no-ignore', '--hidden', '-e', pattern, DIR]);
      if (t !== undefined) times.rg!.push(t);
    }
    const t = performance.now();
    result = await findKeysInPaths([DIR], { maxFileSize: 64 * 1024 * 1024 });
    times.bks!.push((performance.now() - t) / 1000);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  if (!result) throw new Error('no run');

  // Recall and false positives: every finding location against the planted ones.
  const key = (p: string, l: number, c: number) => `${p}:${l}:${c}`;
  const plantedAt = new Map(planted.map((p) => [key(p.file, p.line, p.column), p]));
  const found = new Set<string>();
  let falsePositives = 0;
  let locations = 0;
  for (const f of result.findings) {
    for (const l of f.locations) {
      locations++;
      const k = key(l.path, l.line, l.column);
      const p = plantedAt.get(k);
      const label = f.kind === 'bearer-env-assignment' ? f.kind : `${f.service}-${f.kind}`;
      if (p && p.label === label) found.add(k);
      else falsePositives++;
    }
  }
  const recallBy = new Map<string, { planted: number; found: number }>();
  for (const p of planted) {
    const e = recallBy.get(p.label) ?? { planted: 0, found: 0 };
    e.planted++;
    if (found.has(key(p.file, p.line, p.column))) e.found++;
    recallBy.set(p.label, e);
  }

  const bksTime = median(times.bks!);
  const rows = [
    [
      'bks find-keys (decodes every hit)',
      bksTime.toFixed(2),
      (mb / bksTime).toFixed(0),
      `${found.size}/${planted.length} (${((100 * found.size) / planted.length).toFixed(1)}%)`,
      String(falsePositives),
      `${(peakRss / 1024 / 1024).toFixed(0)} MB`,
      '1.00',
    ],
  ];
  for (const tool of ['grep', 'rg'] as const) {
    if (times[tool]!.length === 0) continue;
    const t = median(times[tool]!);
    rows.push([
      tool === 'grep' ? 'grep -E -r -c (LC_ALL=C)' : 'rg -j1 -c',
      t.toFixed(2),
      (mb / t).toFixed(0),
      'prefix only',
      'n/a',
      '',
      (bksTime / t).toFixed(2),
    ]);
  }
  const [l1, l5, l15] = loadavg();
  console.log(
    `corpus: ${result.scanned.files} files, ${mb.toFixed(0)} MB (generated in ${genSeconds.toFixed(1)} s, reused when present) at ${DIR}`,
  );
  console.log(
    `planted: ${planted.length} (${[...recallBy].map(([k, v]) => `${k} ${v.found}/${v.planted}`).join(', ')}); decoys: ${DECOYS}; candidates examined ${result.candidates.candidates}, rejected ${result.candidates.rejected}; findings ${result.findings.length} keys at ${locations} locations`,
  );
  console.log(
    `runs: ${RUNS} each, median wall time, page cache warm; load average ${l1!.toFixed(2)} ${l5!.toFixed(2)} ${l15!.toFixed(2)}; node ${process.version}`,
  );
  console.log(`pattern: ${pattern}\n`);
  console.log(
    renderTable(['tool', 'seconds', 'MB/s', 'recall', 'false positives', 'peak RSS', 'bks / tool'], rows),
  );
  const ok =
    found.size === planted.length &&
    falsePositives === 0 &&
    times.grep!.length > 0 &&
    bksTime <= 3 * median(times.grep!);
  console.log(`\ntargets (recall 100%, 0 false positives, within 3x of grep): ${ok ? 'met' : 'NOT met'}`);
  stress(pattern);
  process.exitCode = ok ? 0 : 1;
}

/**
 * A stress case for the prefix search: base64 of mostly-zero binary (embedded fonts, wasm, source
 * maps) is long runs of `A`, the first letter of three of the prefixes.
 */
function stress(pattern: string): void {
  const dir = `${DIR}-stress`;
  const size = Math.max(1, Math.round(MB / 10)) * 1024 * 1024;
  const file = join(dir, 'zeros.b64');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const b = Buffer.alloc(size, 'A');
    for (let i = 76; i < b.length; i += 77) b[i] = 10;
    writeFileSync(file, b);
  }
  const times: Record<string, number[]> = { bks: [], grep: [] };
  for (let run = 0; run < RUNS; run++) {
    const g = timeCommand('grep', ['-E', '-c', '-e', pattern, file]);
    if (g !== undefined) times.grep!.push(g);
    const t = performance.now();
    scanFile(file, {});
    times.bks!.push((performance.now() - t) / 1000);
  }
  const mb = size / 1e6;
  const bks = median(times.bks!);
  const grep = median(times.grep!);
  console.log(`\nstress: ${mb.toFixed(0)} MB of base64 of zero bytes (runs of A)`);
  console.log(
    renderTable(
      ['tool', 'seconds', 'MB/s', 'bks / tool'],
      [
        ['bks find-keys', bks.toFixed(2), (mb / bks).toFixed(0), '1.00'],
        ['grep -E -c (LC_ALL=C)', grep.toFixed(2), (mb / grep).toFixed(0), (bks / grep).toFixed(2)],
      ],
    ),
  );
}

await main();
