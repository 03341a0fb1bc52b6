/**
 * The import directions of docs/architecture.md, read from every import (static, dynamic, type-only
 * and re-exports) with the TypeScript compiler's parser:
 *
 * - sim/ (bks-sim, the independent stand-in for AWS) imports nothing from src/;
 * - the core (src/ without src/cli/) imports no front end: not src/cli/, handlers/, infra/, local/,
 *   sim/, nor commander or readline;
 * - handlers/ (Lambda handlers) import the core and handlers/lib only;
 * - infra/ (CDK) imports the core and infra/, never the CLI or the simulator;
 * - local/ may compose sim/, src/ and handlers/.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parsed } from './measure';

const ROOT = join(import.meta.dirname, '../..');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...files(path));
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every module specifier a file names: import/export … from, import(), import x = require(). */
function specifiers(file: string): string[] {
  const source = parsed(file);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      out.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = node.argument.literal;
      if (ts.isStringLiteral(lit)) out.push(lit.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** A specifier as a path from the repository root (`src/cli/common`), or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\\/g, '/');
}

/** What `file` imports that the rules forbid, as `file -> target`. */
function violations(dirs: string[], forbidden: (file: string, to: string) => boolean): string[] {
  return dirs.flatMap((d) =>
    files(d).flatMap((file) =>
      specifiers(file)
        .map((spec) => target(file, spec))
        .filter((to) => forbidden(file, to))
        .map((to) => `${file} -> ${to}`),
    ),
  );
}

const under = (to: string, ...dirs: string[]) => dirs.some((d) => to === d || to.startsWith(`${d}/`));
const isCli = (to: string) => under(to, 'src/cli') || /^(commander|node:readline)(\/|$)/.test(to);

describe('import directions', () => {
  it('sim/ imports nothing from src/ (the simulator judges the code: it shares none of its logic)', () => {
    expect(violations(['sim'], (_f, to) => under(to, 'src'))).toEqual([]);
  });

  it('the core (src/ without src/cli/) imports no front end, no deployment and no simulator', () => {
    const found = violations(
      ['src'],
      (file, to) =>
        !under(file, 'src/cli') &&
        (isCli(to) || under(to, 'handlers', 'infra', 'local', 'sim', 'bench', 'demo', 'test')),
    );
    expect(found).toEqual([]);
  });

  it('handlers/ import the core and handlers/ only', () => {
    const found = violations(
      ['handlers'],
      (_f, to) => isCli(to) || under(to, 'infra', 'local', 'sim', 'bench', 'demo', 'test'),
    );
    expect(found).toEqual([]);
  });

  it('infra/ imports neither the CLI nor the simulator', () => {
    expect(
      violations(['infra'], (_f, to) => isCli(to) || under(to, 'sim', 'local', 'bench', 'demo', 'test')),
    ).toEqual([]);
  });

  it('the rules see imports (a self-check on a known edge)', () => {
    expect(specifiers('src/cli/common.ts')).toContain('commander');
    expect(specifiers('sim/scenario.ts').map((s) => target('sim/scenario.ts', s))).toContain('sim/orgtree');
  });
});
