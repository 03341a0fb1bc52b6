/**
 * Rule files: `detections/<id>.json`, their shape (`detections/rule.schema.json`, checked by ajv),
 * the checks a schema cannot express (`checkRuleSemantics`) and the loader (`loadRules`), which
 * reads a rule directory and resolves sample files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ruleSchema from '../../detections/rule.schema.json' with { type: 'json' };
import { compileSchema } from '../util/json-schema';
import type { CloudTrailRecord } from './knowledge';
import {
  checkRuleSemantics,
  defaultRulesDir,
  type Rule,
  RuleError,
  type RuleFile,
  type SampleRef,
} from './rules';

const checkShape = compileSchema(ruleSchema);

/** Checks a rule's shape (the schema) and what the schema cannot say; throws RuleError naming `where`. */
export function validateRuleFile(raw: unknown, where: string): RuleFile {
  const problem = checkShape(raw);
  if (problem) throw new RuleError(`${where}: ${problem}`);
  const { $schema: _schema, ...rule } = raw as RuleFile & { $schema?: string };
  checkRuleSemantics(rule, where);
  return rule;
}

export function resolveSamples(file: RuleFile, dir: string | undefined): Rule {
  const load = (ref: SampleRef, kind: string, i: number): CloudTrailRecord => {
    if (typeof ref.file === 'string' && Object.keys(ref).length === 1) {
      if (dir === undefined)
        throw new RuleError(`${file.id}: sample ${kind}[${i}] refers to a file but no directory was given`);
      const path = resolve(dir, ref.file);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        throw new RuleError(`${file.id}: sample ${kind}[${i}] file ${ref.file} cannot be read`);
      }
      try {
        return JSON.parse(text) as CloudTrailRecord;
      } catch {
        throw new RuleError(`${file.id}: sample ${kind}[${i}] file ${ref.file} is not valid JSON`);
      }
    }
    return ref as CloudTrailRecord;
  };
  return {
    ...file,
    samples: {
      match: file.samples.match.map((s, i) => load(s, 'match', i)),
      noMatch: file.samples.noMatch.map((s, i) => load(s, 'noMatch', i)),
    },
  };
}

/** Loads every `*.json` rule of a directory (default `detections/`), validated, samples resolved, by id. */
export function loadRules(dir: string = defaultRulesDir()): Rule[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.endsWith('.schema.json'));
  } catch {
    throw new RuleError(`cannot read the rule directory ${dir}`);
  }
  const rules: Rule[] = [];
  const ids = new Set<string>();
  for (const name of names.sort()) {
    const path = join(dir, name);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new RuleError(
        `${name}: ${err instanceof SyntaxError ? `invalid JSON (${err.message})` : 'cannot be read'}`,
      );
    }
    const file = validateRuleFile(raw, name);
    if (ids.has(file.id)) throw new RuleError(`${name}: duplicate rule id ${file.id}`);
    ids.add(file.id);
    rules.push(resolveSamples(file, dir));
  }
  if (rules.length === 0) throw new RuleError(`no rules (*.json) in ${dir}`);
  return rules.sort((a, b) => a.id.localeCompare(b.id));
}
