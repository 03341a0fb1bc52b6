/** Writes the rule set built from `SERVICES` and the event tables to a directory (detections/). */
import { readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRuleSet, ruleFileName, ruleFileText } from './ruleset';

export interface BuildResult {
  dir: string;
  written: string[];
  removed: string[];
}

/** Writes one file per rule and removes rule files (`BKS-*.json`) that are no longer built. */
export function writeRuleFiles(dir: string): BuildResult {
  const rules = buildRuleSet();
  const written: string[] = [];
  for (const rule of rules) {
    const name = ruleFileName(rule.id);
    writeFileSync(join(dir, name), ruleFileText(rule));
    written.push(name);
  }
  const keep = new Set(written);
  const removed = readdirSync(dir).filter((n) => /^BKS-.*\.json$/.test(n) && !keep.has(n));
  for (const n of removed) unlinkSync(join(dir, n));
  return { dir, written, removed };
}
