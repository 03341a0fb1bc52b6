/**
 * The npm package as a user gets it. `npm pack` (which runs the real build: prepack, then prepare)
 * makes the tarball, once per test run, in a copy of the Docker build context (test/package/packed.ts);
 * the executables that build made are checked for what they import at start-up (the timing is
 * bench/startup.ts); the tarball is installed into an empty folder with --omit=dev (dependencies from
 * the npm cache when present), and there every command's help, real runs of decode-key, find-keys,
 * detections list, scp list and bks-sim, the library entry and a CDK app using the constructs (its
 * peer dependencies linked from this clone, CDK's built-in template validation on) must work.
 */
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main';
import type { CommandSpec, HelpManifest } from '../../src/cli/manifest';
import { encodeLongTermKey, longTermAlias } from '../../src/keys';
import { SERVICES } from '../../src/services';
import { PKG, packedTarball, ROOT } from './packed';

// Reports every bare package specifier the process resolves (its own code is loaded by path).
const HOOK = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, n) { if (!/^(\\\\.|node:|file:|data:)/.test(s)) process.stderr.write("LOADED " + s + "\\\\n"); return n(s, c); }'));`,
)}`;
const bedrock = SERVICES.find((s) => s.id === 'bedrock')!;
const SECRET = 's'.repeat(40);
const KEY = encodeLongTermKey(bedrock, longTermAlias('BedrockAPIKey-p4ck', '123456789012', 1), SECRET);

let tmp = '';
let tarball = '';
/** The build context the tarball was packed in, with the dist/ that build made. */
let built = '';

/** Runs a `bks`; `loaded` lists what it imported, unless `hook: false` (the hook costs a loader thread). */
function run(bin: string, args: string[], opts: { input?: string; cwd?: string; hook?: boolean } = {}) {
  const hook = opts.hook === false ? [] : ['--import', HOOK];
  const p: SpawnSyncReturns<string> = spawnSync(process.execPath, [...hook, bin, ...args], {
    input: opts.input ?? '',
    cwd: opts.cwd ?? tmp,
    encoding: 'utf8',
    env: { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' },
  });
  const loaded = [...new Set([...p.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1] as string))].sort();
  return { status: p.status, stdout: p.stdout, stderr: p.stderr.replace(/^LOADED .*\n/gm, ''), loaded };
}

function npm(args: string[], cwd: string) {
  const p = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
  });
  expect(p.status, `npm ${args.join(' ')}\n${p.stdout}\n${p.stderr}`).toBe(0);
  return p.stdout;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bks-package-'));
  ({ tarball, context: built } = await packedTarball());
  writeFileSync(join(tmp, 'app.py'), `KEY = "${KEY}"\n`);
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }), 300_000);

describe('the built executables (dist/)', () => {
  const BKS = () => join(built, 'dist/bks.mjs');

  // The CLI parser (commander) is bundled: these starts read nothing from node_modules at all.
  it('print the version and help without loading any command', () => {
    const v = run(BKS(), ['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(PKG.version);
    expect(v.loaded).toEqual([]);
    for (const args of [['--help'], ['help', 'scan'], ['scan', '--help'], ['scp', 'check', '-h']]) {
      const h = run(BKS(), args);
      expect(h.status, args.join(' ')).toBe(0);
      expect(h.stdout).toMatch(/^Usage: bks/);
      expect(h.loaded, args.join(' ')).toEqual([]);
    }
  });

  it('print the same top-level help as the sources', async () => {
    expect(run(BKS(), ['--help']).stdout).toBe((await buildProgram(() => {})).helpInformation());
  });

  it('decode a key from stdin and find one in a file loading no AWS SDK client', () => {
    const d = run(BKS(), ['decode-key', '-o', 'json'], { input: `${KEY}\n` });
    expect(d.status, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ schema: 'bks.decode-key/v1' });
    expect(d.stdout).not.toContain(SECRET);
    expect(d.loaded).toEqual([]);
    const f = run(BKS(), ['find-keys', join(tmp, 'app.py'), '-o', 'json']);
    expect(f.status, f.stderr).toBe(1);
    expect(JSON.parse(f.stdout).findings).toHaveLength(1);
    expect(f.loaded).toEqual([]);
  });

  it('load the AWS SDK clients of the AWS command they run', () => {
    const s = run(BKS(), ['scan']);
    expect(s.status).toBe(3);
    expect(s.stderr).toMatch(/^bks: /);
    expect(s.loaded).toContain('@aws-sdk/client-iam');
  });

  it('answer an unknown command or flag with one line and exit 2', () => {
    const u = run(BKS(), ['nosuch']);
    expect(u.status).toBe(2);
    expect(u.stderr).toBe("bks: unknown command 'nosuch' (see --help)\n");
    const f = run(BKS(), ['decode-key', '--nosuch']);
    expect(f.status).toBe(2);
    expect(f.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('import exactly the runtime dependencies and the CDK peer dependencies', () => {
    const externals = JSON.parse(readFileSync(join(built, 'dist/externals.json'), 'utf8')) as string[];
    const peers = Object.keys(PKG.peerDependencies);
    expect(externals.filter((e) => !(e in PKG.dependencies) && !peers.includes(e))).toEqual([]);
    expect(Object.keys(PKG.dependencies).filter((d) => !externals.includes(d))).toEqual([]);
    for (const p of peers) expect(PKG.devDependencies[p], `${p} is also a dev dependency`).toBeDefined();
    // What the build bundles is a dev dependency only (a user's install does not need it).
    expect(externals).not.toContain('commander');
    expect(PKG.devDependencies.commander).toBeDefined();
    expect(PKG.dependencies.commander).toBeUndefined();
  });
});

describe('the installed package (npm pack, npm install --omit=dev)', () => {
  let app = '';
  let bin = '';
  let pkgDir = '';

  beforeAll(() => {
    app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name":"user-app","private":true,"type":"module"}\n');
    // The CDK app's aws-cdk-lib and constructs are the user's own packages (our peer dependencies),
    // not ours: they are linked from this clone's node_modules (npm's `file:` link; npm checks them
    // against the package's peer dependency ranges), as a user's app has them installed already,
    // instead of extracting aws-cdk-lib's 200 MB again. What is ours, the package and its
    // dependencies, comes from the tarball with --omit=dev.
    const peers = ['aws-cdk-lib', 'constructs'].map((p) => `${p}@file:${join(ROOT, 'node_modules', p)}`);
    // bks-sim's IAM engine is an optional peer dependency (AGPL-3.0): a user of bks-sim installs it.
    const engine = ['@cloud-copilot/iam-simulate', '@cloud-copilot/iam-policy'].map(
      (p) => `${p}@${(PKG.peerDependencies as Record<string, string>)[p]}`,
    );
    npm(['install', tarball, ...peers, ...engine, '--omit=dev', '--prefer-offline'], app);
    bin = join(app, 'node_modules/.bin');
    pkgDir = join(app, 'node_modules', PKG.name);
  }, 600_000);

  it('holds what runs and its docs, and no TypeScript sources', () => {
    const list = (d: string) => readdirSync(join(pkgDir, d));
    expect(list('.').sort()).toEqual(
      [
        'LICENSE',
        'README.md',
        'detections',
        'dist',
        'docs',
        'package.json',
        'schemas',
        'scps',
        'sim',
        'statemachines',
      ].sort(),
    );
    expect(list('dist/handlers').length).toBeGreaterThanOrEqual(14);
    // The type declarations of every entry point the package names.
    const types = [
      PKG.types,
      ...Object.values(PKG.exports).flatMap((e) => (typeof e === 'object' && e.types ? [e.types] : [])),
    ];
    expect(types.length).toBeGreaterThanOrEqual(3);
    for (const t of types) expect(existsSync(join(pkgDir, t)), t).toBe(true);
    expect(list('docs/commands')).toContain('decode-key.md');
    // The output schemas ship as JSON only: the TypeScript types they are generated from stay out.
    expect(list('schemas')).toContain('scan.schema.json');
    expect(list('schemas').filter((f) => !f.endsWith('.schema.json'))).toEqual([]);
    expect(
      readdirSync(join(app, 'node_modules')).filter((d) => ['tsx', 'vitest', 'esbuild'].includes(d)),
    ).toEqual([]);
  });

  it("prints every command's help", () => {
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'dist/bks-help.json'), 'utf8')) as HelpManifest;
    const paths = (c: CommandSpec, pre: string[] = []): string[][] => [
      [...pre, c.name],
      ...c.commands.flatMap((s) => paths(s, [...pre, c.name])),
    ];
    const all = manifest.commands.flatMap((c) => paths(c));
    expect(all.length).toBeGreaterThan(12);
    for (const p of all) {
      const h = run(join(bin, 'bks'), [...p, '--help'], { hook: false });
      expect(h.status, p.join(' ')).toBe(0);
      expect(h.stdout, p.join(' ')).toContain(`Usage: bks ${p.join(' ')}`);
    }
    expect(run(join(bin, 'bks'), ['--version']).stdout.trim()).toBe(PKG.version);
  });

  it('decodes a key, finds one, lists the detections and the SCPs', () => {
    const bks = join(bin, 'bks');
    const d = run(bks, ['decode-key'], { input: `${KEY}\n` });
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toContain('BedrockAPIKey-p4ck');
    expect(d.stdout).not.toContain(SECRET);
    const f = run(bks, ['find-keys', join(tmp, 'app.py')]);
    expect(f.status, f.stderr).toBe(1);
    expect(f.stdout).toContain('BedrockAPIKey-p4ck');
    const det = run(bks, ['detections', 'list', '-o', 'json']);
    expect(det.status, det.stderr).toBe(0);
    expect(JSON.parse(det.stdout).rules.length).toBeGreaterThan(20);
    const scp = run(bks, ['scp', 'list', '-o', 'json']);
    expect(scp.status, scp.stderr).toBe(0);
    expect(JSON.parse(scp.stdout).policies.length).toBe(5);
    for (const r of [d, f, det, scp])
      expect(r.loaded.filter((l) => l.startsWith('@cloud-copilot'))).toEqual([]);
  });

  it('starts and stops bks-sim with the shipped demo scenario', async () => {
    const scenario = join(pkgDir, 'sim/scenarios/demo.json');
    const child = spawn(process.execPath, [join(bin, 'bks-sim'), '--scenario', scenario], { cwd: app });
    let out = '';
    let err = '';
    child.stderr.on('data', (b) => {
      err += b;
    });
    const url = await new Promise<string>((ok, fail) => {
      child.stdout.on('data', (b) => {
        out += b;
        const m = /^bks-sim listening on (http:\/\/\S+)\n/.exec(out);
        if (m) ok(m[1] as string);
      });
      child.on('exit', (code) => fail(new Error(`bks-sim exited ${code}: ${err}`)));
    });
    const health = (await (await fetch(`${url}/_sim/health`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    const code = await new Promise<number | null>((ok) => {
      child.on('exit', ok);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  }, 60_000);

  it('serves decodeKey and findKeys from the library entry', () => {
    const script = `import { decodeKey, findKeys } from '${PKG.name}';
const k = decodeKey(process.argv[1]); const m = findKeys('x = "' + process.argv[1] + '"');
console.log(JSON.stringify({ user: k.userName, found: m.length }));`;
    const p = spawnSync(process.execPath, ['--input-type=module', '-e', script, KEY], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toEqual({ user: 'BedrockAPIKey-p4ck', found: 1 });
  });

  it('synthesizes the CDK constructs in a user app with the prebundled handlers', () => {
    writeFileSync(
      join(app, 'app.mjs'),
      `import { App, Stack } from 'aws-cdk-lib';
import { BedrockKeyGuard, ComplianceReport, ScpGuard } from '${PKG.name}/cdk';
const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Security', { env: { account: '111111111111', region: 'eu-west-1' } });
new BedrockKeyGuard(stack, 'Guard', { regions: ['eu-west-1'] });
new ScpGuard(stack, 'Scps', { controls: ['deny-long-term-api-keys'], targetIds: ['ou-ab12-34cd56ef'] });
new ComplianceReport(stack, 'Compliance', {});
const asm = app.synth();
const fns = asm.stacks.flatMap((s) => Object.values(s.template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function'));
console.log(JSON.stringify({ stacks: asm.stacks.map((s) => s.stackName), functions: fns.length, handlers: [...new Set(fns.map((f) => f.Properties.Handler))] }));
`,
    );
    // A user's synth runs with CDK's defaults, its built-in CloudFormation validation included: the
    // test suite switches that validation off for its own synths (CDK_VALIDATION, vitest.config.mts),
    // this one keeps it, and its report must find nothing.
    const env = { ...process.env };
    delete env['CDK_VALIDATION'];
    const p = spawnSync(process.execPath, ['app.mjs'], { cwd: app, encoding: 'utf8', env });
    expect(p.status, p.stderr).toBe(0);
    const validation = JSON.parse(readFileSync(join(app, 'cdk.out/validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; conclusion: string; violations: unknown[] }>;
    };
    expect(
      validation.pluginReports.map((r) => [r.pluginName, r.conclusion, r.violations.length]),
    ).toContainEqual(['CloudFormation Validate', 'success', 0]);
    const out = JSON.parse(p.stdout.trim().split('\n').pop() as string);
    expect(out.stacks).toContain('Security');
    expect(out.functions).toBeGreaterThanOrEqual(14);
    expect(out.handlers).toContain('index.handler');
    // Every function's code is one of the package's prebundled handlers, copied as an asset.
    const shipped = new Set(
      readdirSync(join(pkgDir, 'dist/handlers')).map((h) =>
        readFileSync(join(pkgDir, 'dist/handlers', h, 'index.mjs'), 'utf8'),
      ),
    );
    const assets = readdirSync(join(app, 'cdk.out')).filter((d) => d.startsWith('asset.'));
    const handlerAssets = assets.filter((a) => {
      const f = join(app, 'cdk.out', a, 'index.mjs');
      return (
        readdirSync(join(app, 'cdk.out', a)).includes('index.mjs') && shipped.has(readFileSync(f, 'utf8'))
      );
    });
    expect(handlerAssets.length).toBe(shipped.size);
  }, 180_000);
});
