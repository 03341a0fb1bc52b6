/**
 * The scenario file's shape is sim/schemas/scenario.schema.json (JSON Schema draft-07, checked by
 * ajv); this module compiles it once and turns ajv's first error into the simulator's contract: the
 * path of the bad field as `accounts[0].users[3].accessKeys[0].status` and a short problem.
 *
 * Messages come from the schema itself: a `description` names what a pattern expects ("a 12-digit
 * account id"), and the annotation `x-error` ({keyword: message}) words a message where the
 * generic one would be vague ("must list at least one account").
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import scenarioSchema from './schemas/scenario.schema.json' with { type: 'json' };

/** What the schema's `date-time` accepts: a date, a `T` and a time `Date.parse` reads. */
export function isDateTime(v: string): boolean {
  return /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v));
}

const ajv = new Ajv({ verbose: true, strict: true, allowUnionTypes: true });
ajv.addKeyword({ keyword: 'x-error', schemaType: 'object' });
ajv.addFormat('date-time', isDateTime);
ajv.addSchema(scenarioSchema, 'scenario');

function compiled(ref: string): ValidateFunction {
  const fn = ajv.getSchema(ref);
  if (!fn) throw new Error(`no schema ${ref}`);
  return fn;
}

type Schema = Record<string, unknown>;

/** `/accounts/0/users/3` → `accounts[0].users[3]` (`$` for the root), then `.field`. */
function dotted(prefix: string, pointer: string, field?: string): string {
  let out = prefix;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  if (field !== undefined) out += out === '' ? field : `.${field}`;
  return out === '' ? '$' : out;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function words(list: string[]): string {
  return list.length < 2 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} or ${list.at(-1)}`;
}

function problemOf(e: ErrorObject): string {
  const schema = (e.parentSchema ?? {}) as Schema;
  const custom = (schema['x-error'] as Record<string, string> | undefined)?.[e.keyword];
  if (custom) return custom;
  const got = JSON.stringify(e.data);
  const what = typeof schema.description === 'string' ? schema.description : undefined;
  switch (e.keyword) {
    case 'type': {
      if (schema.format === 'date-time') return `must be ${what} (got ${got})`;
      const types = String(e.params.type)
        .split(',')
        .filter((t) => t !== 'null');
      return `must be ${words(types.map((t) => TYPE_WORDS[t] ?? t))}`;
    }
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).join(', ')} (got ${got})`;
    case 'pattern':
      return `${got} is not ${what ?? `valid (${e.params.pattern})`}`;
    case 'format':
      return `must be ${what ?? e.params.format} (got ${got})`;
    case 'minimum':
    case 'maximum': {
      const { minimum, maximum } = schema as { minimum?: number; maximum?: number };
      if (minimum !== undefined && maximum !== undefined) {
        return `must be between ${minimum} and ${maximum} (got ${got})`;
      }
      return `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${e.params.limit} (got ${got})`;
    }
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return `unknown field (allowed: ${Object.keys((schema.properties as Schema) ?? {}).join(', ')})`;
    default:
      return e.message ?? 'is not valid';
  }
}

/** The first schema error as the path of the bad field and the problem. */
export function firstProblem(errors: ErrorObject[], prefix: string): { path: string; problem: string } {
  // A property-name check reports the name's error first, then `propertyNames` on the object.
  const names = errors.find((e) => e.keyword === 'propertyNames');
  if (names) {
    const name = String(names.params.propertyName);
    return { path: dotted(prefix, names.instancePath, name), problem: problemOf(names) };
  }
  const e = errors[0]!;
  if (e.keyword === 'required') {
    return { path: dotted(prefix, e.instancePath, String(e.params.missingProperty)), problem: problemOf(e) };
  }
  if (e.keyword === 'additionalProperties') {
    return {
      path: dotted(prefix, e.instancePath, String(e.params.additionalProperty)),
      problem: problemOf(e),
    };
  }
  return { path: dotted(prefix, e.instancePath), problem: problemOf(e) };
}

/**
 * Checks `value` against the scenario schema (`ref` = `''` for a whole scenario or a JSON pointer
 * such as `/properties/faults`); returns undefined when valid, else the first problem with its path
 * under `prefix`.
 */
export function checkScenarioPart(
  ref: string,
  value: unknown,
  prefix = '',
): { path: string; problem: string } | undefined {
  const validate = compiled(`scenario#${ref}`);
  if (validate(value)) return undefined;
  return firstProblem(validate.errors ?? [], prefix);
}
