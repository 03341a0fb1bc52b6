/**
 * Vitest setup (every test file): each JSON document a `bks` command emits in-process is validated
 * against its JSON Schema in schemas/ (found by its `schema` field); a document that does not match,
 * or a `schema` with no schema file, fails the command and so the test that ran it.
 *
 * Vitest runs this file again for every test file; where test files share a worker (the projects with
 * `isolate: false` in vitest.config.mts) the schemas are read and compiled once per worker, not once
 * per file (ajv would refuse to compile a schema with the same `$id` twice in one process anyway).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkJsonOutputs } from '../../src/cli/common';
import { compileSchema } from '../../src/util/json-schema';

const DIR = resolve(import.meta.dirname, '../../schemas');

interface Schemas {
  /** Schema file by the `schema` id (its title). */
  files: Map<string, string>;
  /** Compiled checks by schema file. */
  compiled: Map<string, (v: unknown) => string | undefined>;
}
/** Kept on the worker's global object, which outlives this module when files share the worker. */
const worker = globalThis as { bksOutputSchemas?: Schemas };
function load(): Schemas {
  const files = new Map<string, string>();
  for (const f of readdirSync(DIR).filter((n) => n.endsWith('.schema.json'))) {
    files.set((JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { title: string }).title, f);
  }
  return { files, compiled: new Map() };
}
worker.bksOutputSchemas ??= load();
const { files, compiled } = worker.bksOutputSchemas;

/** Validates one emitted JSON text; throws naming the schema file and the first problem. */
export function validateOutput(text: string): string | undefined {
  const doc = JSON.parse(text) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined; // ASFF: a list
  const id = (doc as { schema?: unknown }).schema;
  if (typeof id !== 'string') return undefined; // SARIF carries its own $schema
  const file = files.get(id);
  if (!file) throw new Error(`no JSON Schema for ${id} in schemas/ (add its type to schemas/outputs.ts)`);
  let check = compiled.get(file);
  if (!check) {
    check = compileSchema(JSON.parse(readFileSync(join(DIR, file), 'utf8')));
    compiled.set(file, check);
  }
  const problem = check(doc);
  if (problem) throw new Error(`${id} output does not match schemas/${file}: ${problem}`);
  return file;
}

checkJsonOutputs((text) => {
  validateOutput(text);
});
