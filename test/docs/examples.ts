/**
 * The `bks` commands the documentation shows, found (not listed by hand): every line of a ```sh
 * block in README.md and docs/**\/*.md that runs `bks` or `npx bks`, or calls it inside `$(…)`.
 *
 * Conventions a doc follows (docs/development.md, "Examples in the docs are tested"):
 * - A line's expected exit code is 0 unless its comment says `exit N` (`# exit 3: …`).
 * - `<!-- docs-test: skip REASON -->` on the line before a fence skips that block (real AWS only).
 * - Lines of one file run in order in one directory, so an `--out-file` feeds a later `--from`.
 * - Variables are the ones `KNOWN_VARIABLES` lists; any other one is an error, not an empty string.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Example {
  /** Path relative to the repository. */
  file: string;
  /** 1-based line of the command in the file. */
  line: number;
  /** The shell text to run (comment removed). */
  command: string;
  /** Exit code the doc claims (0 unless its comment says `exit N`). */
  exit: number;
  /** A changing command with neither `-y` nor `--dry-run`: it asks, and the reader answers y. */
  interactive: boolean;
  /** Changes the account (revoke-key, cleanup, restore without --dry-run). */
  changes: boolean;
}

export const KNOWN_VARIABLES = ['LEAKED_KEY', 'KEY', 'SHORT_TERM_KEY'] as const;

const SKIP = /<!--\s*docs-test:\s*skip\b[^>]*-->/;
const SHELL_FENCES = new Set(['sh', 'bash', 'shell']);
const CHANGING = new Set(['revoke-key', 'cleanup', 'restore']);

/** README.md and every docs/**\/*.md, sorted. */
export function docFiles(root: string): string[] {
  const docs = (readdirSync(join(root, 'docs'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(root, 'docs', f));
  return [join(root, 'README.md'), ...docs.sort()];
}

/** Splits `code  # comment` at the first `#` that starts a word outside quotes. */
export function splitComment(line: string): { code: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"') i++;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return { code: line.slice(0, i).trimEnd(), comment: line.slice(i + 1).trim() };
    }
  }
  return { code: line.trimEnd(), comment: '' };
}

const BKS_WORD = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npx\s+)?bks(?:\s|$)/;
const BKS_SUBSTITUTION = /\$\((?:npx\s+)?(bks(?:\s[^)]*)?)\)/g;

/** The command to run for one line of a shell block, or undefined when it does not run `bks`. */
export function bksCommand(code: string): string | undefined {
  if (BKS_WORD.test(code)) return code;
  const inner = [...code.matchAll(BKS_SUBSTITUTION)].map((m) => m[1] ?? '');
  return inner.length > 0 ? inner.join('; ') : undefined;
}

function subcommand(command: string): string | undefined {
  return /(?:^|\s)bks\s+([a-z][\w-]*)/.exec(command)?.[1];
}

/** Every example of one markdown text. */
export function examplesIn(text: string, file: string): Example[] {
  const lines = text.split('\n');
  const out: Example[] = [];
  let fence: { lang: string; skip: boolean } | undefined;
  let lastText = '';
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const open = /^\s*```(\S*)/.exec(raw);
    if (!fence && open) {
      fence = { lang: (open[1] ?? '').toLowerCase(), skip: SKIP.test(lastText) };
      continue;
    }
    if (fence && /^\s*```\s*$/.test(raw)) {
      fence = undefined;
      lastText = '';
      continue;
    }
    if (!fence) {
      if (raw.trim()) lastText = raw;
      continue;
    }
    if (!SHELL_FENCES.has(fence.lang) || fence.skip) continue;
    const start = i;
    let logical = raw;
    while (logical.endsWith('\\') && i + 1 < lines.length) {
      i++;
      logical = `${logical.slice(0, -1)} ${(lines[i] ?? '').trim()}`;
    }
    const { code, comment } = splitComment(logical.trim());
    if (!code) continue;
    const command = bksCommand(code);
    if (!command) continue;
    const sub = subcommand(command) ?? '';
    const changes = CHANGING.has(sub) && !/(^|\s)--dry-run(\s|$)/.test(command);
    out.push({
      file,
      line: start + 1,
      command,
      exit: Number(/\bexit (\d+)\b/.exec(comment)?.[1] ?? 0),
      interactive: changes && !/(^|\s)(-y|--yes)(\s|$)/.test(command),
      changes,
    });
  }
  return out;
}

export function collectExamples(root: string): Example[] {
  return docFiles(root).flatMap((f) => examplesIn(readFileSync(f, 'utf8'), relative(root, f)));
}

/** Variables a command uses that the test does not define. */
export function unknownVariables(command: string): string[] {
  const used = [...command.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? '');
  return used.filter((v) => !(KNOWN_VARIABLES as readonly string[]).includes(v));
}

/** What a doc must not contain in a runnable line: placeholders the shell cannot run. */
export function placeholders(command: string): string[] {
  const found: string[] = [];
  if (command.includes('…')) found.push('"…"');
  if (/\[--?[\w-]+[^\]]*\]/.test(command)) found.push('[optional flags]');
  if (/<[A-Z_]+>/.test(command)) found.push('<PLACEHOLDER>');
  return found;
}
