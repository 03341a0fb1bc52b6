/**
 * Runs a composite GitHub Action's steps the way the runner does, as far as it can be done here:
 * each `run:` step through `bash --noprofile --norc -eo pipefail` with its `env:`, GITHUB_OUTPUT,
 * GITHUB_WORKSPACE and GITHUB_ACTION_PATH, `if:` conditions and `${{ }}` expressions evaluated with
 * GitHub's rules (strings compare case-insensitively; other types are compared as numbers; a
 * missing value is null). `uses:` steps (other actions) cannot run here: they are recorded with
 * their evaluated `with:` and count as succeeded.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

type Value = string | boolean | number | null;

interface ActionStep {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  shell?: string;
  env?: Record<string, string>;
  run?: string;
}

export interface ActionFile {
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

export interface StepResult {
  name: string;
  id?: string;
  /** `skipped` when its `if:` was false; `external` for a `uses:` step. */
  outcome: 'success' | 'failure' | 'skipped' | 'external';
  status?: number | null;
  stdout: string;
  stderr: string;
  uses?: string;
  with?: Record<string, string>;
}

export interface ActionRun {
  steps: StepResult[];
  outputs: Record<string, string>;
  /** Whether the job would fail. */
  failed: boolean;
}

// ---- expressions -----------------------------------------------------------------------------

const TOKEN = /\s*(\|\||&&|==|!=|!|\(|\)|'(?:[^']|'')*'|[A-Za-z_][\w.-]*(?:\(\))?)/y;

function tokens(expr: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    if (/^\s*$/.test(expr.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(expr);
    if (!m) throw new Error(`expression: cannot read "${expr.slice(at)}" in ${expr}`);
    out.push(m[1] as string);
  }
  return out;
}

function toNumber(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  return v.trim() === '' ? 0 : Number(v);
}

function equal(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return toNumber(a) === toNumber(b);
}

const truthy = (v: Value) => !(v === null || v === false || v === 0 || v === '' || Number.isNaN(v));

export interface ExprContext {
  lookup(path: string): Value;
  failed: boolean;
}

export function evaluate(expr: string, ctx: ExprContext): Value {
  const t = tokens(expr);
  let i = 0;
  const peek = () => t[i];
  const next = () => t[i++];
  const primary = (): Value => {
    const tok = next();
    if (tok === undefined) throw new Error(`expression ends early: ${expr}`);
    if (tok === '(') {
      const v = or();
      if (next() !== ')') throw new Error(`missing ) in ${expr}`);
      return v;
    }
    if (tok === '!') return !truthy(primary());
    if (tok.startsWith("'")) return tok.slice(1, -1).replace(/''/g, "'");
    if (tok === 'true' || tok === 'false') return tok === 'true';
    if (tok === 'null') return null;
    if (tok === 'always()') return true;
    if (tok === 'success()') return !ctx.failed;
    if (tok === 'failure()') return ctx.failed;
    if (tok.endsWith('()')) throw new Error(`function ${tok} is not modelled (in ${expr})`);
    return ctx.lookup(tok);
  };
  const compare = (): Value => {
    let v = primary();
    while (peek() === '==' || peek() === '!=') {
      const op = next();
      const r = primary();
      v = op === '==' ? equal(v, r) : !equal(v, r);
    }
    return v;
  };
  const and = (): Value => {
    let v = compare();
    while (peek() === '&&') {
      next();
      const r = compare();
      v = truthy(v) ? r : v;
    }
    return v;
  };
  const or = (): Value => {
    let v = and();
    while (peek() === '||') {
      next();
      const r = and();
      v = truthy(v) ? v : r;
    }
    return v;
  };
  const v = or();
  if (i !== t.length) throw new Error(`unexpected "${t[i]}" in ${expr}`);
  return v;
}

/** `${{ … }}` replaced by the value of each expression (null as ''). */
export function interpolate(text: string, ctx: ExprContext): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => {
    const v = evaluate(e, ctx);
    return v === null ? '' : String(v);
  });
}

/** An `if:` (which may or may not be wrapped in `${{ }}`); without a status function, success() is implied. */
function condition(expr: string | undefined, ctx: ExprContext): boolean {
  if (expr === undefined) return !ctx.failed;
  const inner = expr.trim().replace(/^\$\{\{(.*)\}\}$/s, '$1');
  const v = evaluate(inner, ctx);
  return /\b(always|success|failure|cancelled)\(\)/.test(inner) ? truthy(v) : !ctx.failed && truthy(v);
}

// ---- the runner ------------------------------------------------------------------------------

export function readAction(file: string): ActionFile {
  return parse(readFileSync(file, 'utf8')) as ActionFile;
}

export function runAction(
  file: string,
  opts: {
    actionPath: string;
    workspace: string;
    inputs?: Record<string, string>;
    /** The runner's environment (PATH, credentials, npm settings). */
    env: NodeJS.ProcessEnv;
  },
): ActionRun {
  const action = readAction(file);
  if (action.runs.using !== 'composite')
    throw new Error(`only composite actions run here (${action.runs.using})`);
  const unknown = Object.keys(opts.inputs ?? {}).filter((k) => !(k in action.inputs));
  if (unknown.length) throw new Error(`not inputs of the action: ${unknown.join(', ')}`);
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.inputs)) inputs[k] = opts.inputs?.[k] ?? v.default ?? '';
  const outputs = new Map<string, Record<string, string>>();
  const scratch = mkdtempSync(join(opts.env.RUNNER_TEMP ?? opts.workspace, '.action-'));
  const ctx: ExprContext = {
    failed: false,
    lookup(path) {
      const [scope, ...rest] = path.split('.');
      if (scope === 'inputs') return inputs[rest.join('.')] ?? null;
      if (scope === 'github' && rest[0] === 'action_path') return opts.actionPath;
      if (scope === 'github' && rest[0] === 'workspace') return opts.workspace;
      if (scope === 'steps' && rest[1] === 'outputs')
        return outputs.get(rest[0]!)?.[rest.slice(2).join('.')] ?? null;
      throw new Error(`expression context ${path} is not modelled`);
    },
  };
  const steps: StepResult[] = [];
  action.runs.steps.forEach((step, n) => {
    const name = step.name ?? step.uses ?? `step ${n + 1}`;
    const base = { name, ...(step.id ? { id: step.id } : {}), stdout: '', stderr: '' };
    if (!condition(step.if, ctx)) {
      steps.push({ ...base, outcome: 'skipped' });
      return;
    }
    if (step.uses) {
      const w = Object.fromEntries(
        Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)]),
      );
      steps.push({ ...base, outcome: 'external', uses: step.uses, with: w });
      return;
    }
    if (step.shell !== 'bash') throw new Error(`${name}: a composite run step needs shell: bash here`);
    const script = join(scratch, `step-${n}.sh`);
    const outFile = join(scratch, `step-${n}.out`);
    writeFileSync(script, step.run ?? '');
    writeFileSync(outFile, '');
    const env: NodeJS.ProcessEnv = {
      ...opts.env,
      GITHUB_OUTPUT: outFile,
      GITHUB_WORKSPACE: opts.workspace,
      GITHUB_ACTION_PATH: opts.actionPath,
    };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = interpolate(String(v), ctx);
    const p = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: opts.workspace,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const got: Record<string, string> = {};
    for (const line of readFileSync(outFile, 'utf8').split('\n')) {
      const m = /^([^=]+)=(.*)$/.exec(line);
      if (m) got[m[1] as string] = m[2] as string;
    }
    if (step.id) outputs.set(step.id, got);
    const ok = p.status === 0;
    if (!ok) ctx.failed = true;
    steps.push({
      ...base,
      outcome: ok ? 'success' : 'failure',
      status: p.status,
      stdout: p.stdout,
      stderr: p.stderr,
    });
  });
  const out = Object.fromEntries(
    Object.entries(action.outputs).map(([k, o]) => [k, interpolate(o.value, ctx)]),
  );
  return { steps, outputs: out, failed: ctx.failed };
}
