/**
 * The sources the architecture tests read, parsed with the TypeScript compiler's parser, and the
 * function sizes of size.test.ts. Each file is parsed once per worker process: the files of test/arch/
 * share their worker (vitest.config.mts), so the four tests that read the same sources parse them once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '../..');
export const DIRS = ['src', 'sim', 'handlers', 'infra', 'bench', 'demo', 'local'];
export const MAX_LINES = 120;

/** The TypeScript sources below `dirs` (declaration files left out). */
export function sourceFiles(dirs: string[]): string[] {
  return dirs.flatMap(files);
}

function files(dir: string): string[] {
  const abs = join(ROOT, dir);
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return files(path);
    return /\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const parsedFiles = new Map<string, ts.SourceFile>();

/** The syntax tree of a source file (path from the repository root), with parent links; parsed once. */
export function parsed(file: string): ts.SourceFile {
  let source = parsedFiles.get(file);
  if (!source) {
    source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
    parsedFiles.set(file, source);
  }
  return source;
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) {
    const cls = node.parent;
    return `${ts.isClassLike(cls) && cls.name ? cls.name.text : 'class'}.constructor`;
  }
  const named = node as { name?: ts.Node };
  if (named.name) return named.name.getText(source);
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(source);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(source);
  return '(anonymous)';
}

export interface LongFunction {
  file: string;
  name: string;
  line: number;
  lines: number;
}

/** Every function-like node of the given directories longer than `max` lines. */
export function longFunctions(dirs: string[] = DIRS, max = MAX_LINES): LongFunction[] {
  const out: LongFunction[] = [];
  for (const file of dirs.flatMap(files)) {
    const source = parsed(file);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = end - start + 1;
        if (lines > max) out.push({ file, name: nameOf(node, source), line: start + 1, lines });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out.sort((a, b) => b.lines - a.lines);
}
