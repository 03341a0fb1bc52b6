/**
 * Bundle size and cold-start init time of each pipeline function: every handler is bundled the way
 * the CDK construct bundles it (esbuild, ESM, minified, AWS SDK v3 left to the runtime), then a
 * fresh `node` process imports the bundle `--runs` times; the init time is the median of the
 * import's wall time (the SDK clients it imports are loaded from node_modules, as the runtime's
 * would be). Run: `npx tsx bench/pipeline.ts [--runs 5]`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BUNDLE_BANNER, BUNDLE_EXTERNALS, BUNDLE_TARGET } from '../infra/bundling';
import { FUNCTION_NAMES } from '../infra/guard';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}bench/out/pipeline`;

export interface BundleFigure {
  name: string;
  bytes: number;
  gzipBytes: number;
  initMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

export async function measure(names: readonly string[] = FUNCTION_NAMES, runs = 5): Promise<BundleFigure[]> {
  rmSync(OUT, { recursive: true, force: true });
  const figures: BundleFigure[] = [];
  for (const name of names) {
    const outfile = `${OUT}/${name}/index.mjs`;
    mkdirSync(`${OUT}/${name}`, { recursive: true });
    await build({
      entryPoints: [`${ROOT}handlers/${name}.ts`],
      outfile,
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      target: BUNDLE_TARGET,
      mainFields: ['module', 'main'],
      external: BUNDLE_EXTERNALS,
      banner: { js: BUNDLE_BANNER },
      logLevel: 'silent',
    });
    const code = readFileSync(outfile);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const script = `const t=performance.now();await import(${JSON.stringify(`file://${outfile}`)});process.stdout.write(String(performance.now()-t));`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, AWS_REGION: 'us-east-1', BKS_STATEFUL_RULES: '[]' },
        encoding: 'utf8',
      });
      times.push(Number(out));
    }
    figures.push({ name, bytes: code.length, gzipBytes: gzipSync(code).length, initMs: median(times) });
  }
  return figures;
}

export function table(figures: BundleFigure[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  return [
    '| function | bundle | gzip | init (median) |',
    '|---|---|---|---|',
    ...figures.map((f) => `| ${f.name} | ${kb(f.bytes)} | ${kb(f.gzipBytes)} | ${f.initMs.toFixed(1)} ms |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 5;
  const figures = await measure(FUNCTION_NAMES, runs);
  process.stdout.write(`${table(figures)}\n\nnode ${process.version}, ${runs} runs per function\n`);
}
