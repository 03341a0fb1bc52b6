/**
 * Output excerpts in the docs (```text blocks) against the output they claim to show. An excerpt is
 * the real output shortened, never edited: each of its lines must be found in the output, in order.
 * - `…` stands for anything (elided text, a number that changes from run to run).
 * - An annotation after 3+ spaces at the end, `   (like this)` or `   # like this`, is the doc
 *   talking: it is dropped before matching, and the rest must start the output line.
 * - Runs of spaces count as one (table columns widen with their content).
 */

/** The ```text blocks of a markdown text whose first line satisfies `first`. */
export function textBlocks(markdown: string, first: (line: string) => boolean): string[][] {
  const blocks: string[][] = [];
  let cur: string[] | undefined;
  for (const line of markdown.split('\n')) {
    if (!cur && /^```text\s*$/.test(line)) cur = [];
    else if (cur && /^```\s*$/.test(line)) {
      if (cur.length > 0 && first(cur[0] ?? '')) blocks.push(cur);
      cur = undefined;
    } else if (cur) cur.push(line);
  }
  return blocks;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The pattern one excerpt line stands for (null: a blank line, matched by nothing in particular). */
export function excerptPattern(line: string): RegExp | null {
  const text = squash(line.replace(/\s{3,}(\([^()]*\)|#.*)$/, ''));
  if (!text) return null;
  return new RegExp(
    `^${text
      .split('…')
      .map((p) => escapeRe(squash(p)))
      .join('.*')}`,
  );
}

/** Excerpt lines not found in `output` in order (empty: the excerpt is true). */
export function unmatchedLines(excerpt: readonly string[], output: string): string[] {
  const lines = output.split('\n').map(squash);
  const missing: string[] = [];
  let at = 0;
  for (const line of excerpt) {
    const pattern = excerptPattern(line);
    if (!pattern) continue;
    const found = lines.findIndex((l, i) => i >= at && pattern.test(l));
    if (found < 0) missing.push(line);
    else at = found + 1;
  }
  return missing;
}
