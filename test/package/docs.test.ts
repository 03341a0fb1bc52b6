/**
 * The documentation holds together: the README stays a front page, every relative link in README.md
 * and docs/ resolves to a file of the repository (and its #anchor to a heading of that file, with
 * GitHub's slugs), and nothing in the repository points at paths outside it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function markdownFiles(): string[] {
  const out = [join(ROOT, 'README.md')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.md')) out.push(p);
    }
  };
  walk(join(ROOT, 'docs'));
  return out;
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function prose(text: string): { line: string; n: number }[] {
  const out: { line: string; n: number }[] = [];
  let fence = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) fence = !fence;
    else if (!fence) out.push({ line, n: i + 1 });
  });
  return out;
}

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, spaces to '-', repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { line } of prose(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m?.[1]) continue;
    const visible = m[1].replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = visible
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

function links(text: string): { target: string; n: number }[] {
  const out: { target: string; n: number }[] = [];
  for (const { line, n } of prose(text)) {
    const inline = line.replace(/`[^`]*`/g, '');
    for (const m of inline.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g))
      out.push({ target: m[1] as string, n });
  }
  return out;
}

describe('documentation', () => {
  const files = markdownFiles();

  it('keeps the README a front page of at most 300 lines, with the two commands near its top', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const lines = readme.split('\n');
    expect(lines.length).toBeLessThanOrEqual(300);
    const top = lines.slice(0, 30).join('\n');
    expect(top).toContain('npm ci && npm run demo');
    expect(top).toContain('npm ci && npm test');
  });

  it('has docs/ pages for every bks command', async () => {
    const { buildProgram } = await import('../../src/cli/main');
    const program = await buildProgram(() => {});
    const names = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
    expect(names.length).toBeGreaterThan(5);
    const missing = names.filter((n) => !existsSync(join(ROOT, 'docs/commands', `${n}.md`)));
    expect(missing).toEqual([]);
  });

  it('resolves every relative link and anchor in README.md and docs/', () => {
    const anchorCache = new Map<string, Set<string>>();
    const anchorsOf = (file: string) => {
      let a = anchorCache.get(file);
      if (!a) {
        a = anchors(readFileSync(file, 'utf8'));
        anchorCache.set(file, a);
      }
      return a;
    };
    const broken: string[] = [];
    let checked = 0;
    for (const file of files) {
      for (const { target, n } of links(readFileSync(file, 'utf8'))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        checked++;
        const [path = '', anchor] = target.split('#');
        const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        const where = `${relative(ROOT, file)}:${n}: ${target}`;
        if (!dest.startsWith(ROOT) || !existsSync(dest)) broken.push(`${where} (no such file)`);
        else if (anchor !== undefined && dest.endsWith('.md') && !anchorsOf(dest).has(anchor))
          broken.push(`${where} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it('computes anchors the way GitHub does', () => {
    const a = anchors(
      '# `bks scan` — inventory\n## Speed: a, b\n## Speed: a, b\n```\n# not a heading\n```\n',
    );
    expect([...a]).toEqual(['bks-scan--inventory', 'speed-a-b', 'speed-a-b-1']);
  });

  it('refers to no path outside the repository', () => {
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f && !f.endsWith('package-lock.json') && existsSync(join(ROOT, f)));
    // Built from parts so that this file does not match itself.
    const outside = [`..${'/'}shared/`, `${'/'}work/`, `NOTES-${'pipeline'}`, `NOTES-${'sim'}`];
    const hits: string[] = [];
    for (const f of tracked) {
      const buf = readFileSync(join(ROOT, f));
      if (buf.includes(0)) continue;
      const text = buf.toString('utf8');
      text.split('\n').forEach((line, i) => {
        for (const o of outside) if (line.includes(o)) hits.push(`${f}:${i + 1}: ${o}`);
      });
    }
    expect(hits).toEqual([]);
    expect(existsSync(join(ROOT, 'LICENSE'))).toBe(true);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toContain('Apache License');
  });
});
