/**
 * The project's one JSON Schema validator: ajv (draft-07). Schemas live next to the files they
 * describe (`detections/rule.schema.json`, …) so editors can use them too; `compileSchema` turns
 * one into a check that names the first bad field, e.g. `samples.match must NOT have fewer than 1 items`.
 *
 * A schema may word its own messages with the annotation `x-error` ({keyword: message}) on the
 * node the keyword belongs to.
 */
import { Ajv, type ErrorObject } from 'ajv';

const ajv = new Ajv({ verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
ajv.addKeyword({ keyword: 'x-error', schemaType: 'object' });

/** `/samples/match/0` → `samples.match[0]`. */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** One line for the first error: `<field> <problem>` (just the problem at the root). */
export function describeSchemaError(e: ErrorObject): string {
  const own = (e.parentSchema?.['x-error'] as Record<string, string> | undefined)?.[e.keyword];
  let message = own ?? e.message ?? 'is not valid';
  if (!own && e.keyword === 'enum') message = `must be one of ${e.params.allowedValues.join(', ')}`;
  const missing = e.keyword === 'required' ? String(e.params.missingProperty) : undefined;
  let field = fieldPath(e.instancePath);
  if (missing && !own) {
    field = field ? `${field}.${missing}` : missing;
    message = 'is required';
  }
  return field ? `${field} ${message}` : message;
}

/** A compiled schema: returns undefined when `value` is valid, else one line naming the first problem. */
export function compileSchema(schema: object): (value: unknown) => string | undefined {
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? undefined : describeSchemaError(validate.errors![0]!));
}
