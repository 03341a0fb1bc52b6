/**
 * AWS wire protocols as `bks-sim` answers them: query/XML (IAM, STS), JSON 1.0/1.1 (CloudTrail,
 * Organizations, Step Functions) and REST-JSON (Security Hub, Bedrock runtime). Handlers return
 * plain objects shaped like the botocore output shape; these functions render them.
 */
import { SimError } from './core';

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

// ---------------------------------------------------------------------------------------------
// XML (query protocol)
// ---------------------------------------------------------------------------------------------

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

const NEEDS_ESCAPE = /[&<>"']/;

export function xmlEscape(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!) : s;
}

/** XML body of a value: objects become elements, arrays `<member>` lists, Dates ISO 8601. */
function xmlValue(v: unknown): string {
  if (typeof v === 'string') return xmlEscape(v);
  if (typeof v !== 'object' || v === null) return String(v);
  if (v instanceof Date) return v.toISOString().replace(/\.\d{3}Z$/, 'Z');
  let out = '';
  if (Array.isArray(v)) {
    for (const item of v) {
      if (item === undefined || item === null) continue;
      out += `<member>${xmlValue(item)}</member>`;
    }
    return out;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const child = o[k];
    if (child === undefined || child === null) continue;
    out += `<${k}>${xmlValue(child)}</${k}>`;
  }
  return out;
}

/** `<ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata>…` */
export function renderQueryResult(
  action: string,
  namespace: string,
  result: unknown,
  requestId: string,
): WireResponse {
  let body = `<${action}Response xmlns="${namespace}">`;
  if (result !== undefined && result !== null)
    body += `<${action}Result>${xmlValue(result)}</${action}Result>`;
  body += `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

export function renderQueryError(err: SimError, namespace: string, requestId: string): WireResponse {
  const body =
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${err.fault}</Type><Code>${xmlEscape(err.code)}</Code>` +
    `<Message>${xmlEscape(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: err.status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

// ---------------------------------------------------------------------------------------------
// Query input helpers (flat form fields: `Filter.member.1`, `Tags.member.1.Key`)
// ---------------------------------------------------------------------------------------------

export type Params = Record<string, unknown>;

export function pStr(p: Params, name: string): string | undefined {
  const v = p[name];
  return v === undefined || v === null ? undefined : String(v);
}

/** A required string parameter; AWS answers ValidationError naming it when absent. */
export function pReq(p: Params, name: string, code = 'ValidationError'): string {
  const v = pStr(p, name);
  if (v === undefined || v === '') {
    throw new SimError(
      code,
      `1 validation error detected: Value null at '${lcFirst(name)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return v;
}

export function pInt(
  p: Params,
  name: string,
  min: number,
  max: number,
  code = 'ValidationError',
): number | undefined {
  const v = pStr(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new SimError(code, `Invalid value for parameter ${lcFirst(name)}: ${v}`);
  if (n < min) {
    throw new SimError(
      code,
      `1 validation error detected: Value '${v}' at '${lcFirst(name)}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
    );
  }
  if (n > max) {
    throw new SimError(
      code,
      `1 validation error detected: Value '${v}' at '${lcFirst(name)}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    );
  }
  return n;
}

export function pBool(p: Params, name: string): boolean | undefined {
  const v = p[name];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  return String(v).toLowerCase() === 'true';
}

/** `Name.member.1`, `Name.member.2`, … */
export function pList(p: Params, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const v = p[`${name}.member.${i}`];
    if (v === undefined) break;
    out.push(String(v));
  }
  return out;
}

/** `Tags.member.N.Key` / `.Value` */
export function pTags(p: Params, name = 'Tags'): { Key: string; Value: string }[] {
  const out: { Key: string; Value: string }[] = [];
  for (let i = 1; ; i++) {
    const k = p[`${name}.member.${i}.Key`];
    if (k === undefined) break;
    out.push({ Key: String(k), Value: String(p[`${name}.member.${i}.Value`] ?? '') });
  }
  return out;
}

export function lcFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Parse `application/x-www-form-urlencoded` into a flat map. */
export function parseForm(body: string, into: Params = {}): Params {
  if (!body) return into;
  for (const [k, v] of new URLSearchParams(body)) into[k] = v;
  return into;
}

// ---------------------------------------------------------------------------------------------
// JSON protocols
// ---------------------------------------------------------------------------------------------

/** JSON 1.0/1.1 timestamps are epoch seconds; Dates in a handler's result become numbers. */
function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Date) return raw.getTime() / 1000;
  return value;
}

export function renderJsonResult(
  result: unknown,
  requestId: string,
  version: '1.0' | '1.1' | 'rest',
): WireResponse {
  const body = result === undefined || result === null ? '{}' : JSON.stringify(result, jsonReplacer);
  return {
    status: 200,
    headers: {
      'content-type': version === 'rest' ? 'application/json' : `application/x-amz-json-${version}`,
      'x-amzn-requestid': requestId,
    },
    body,
  };
}

export function renderJsonError(
  err: SimError,
  requestId: string,
  version: '1.0' | '1.1' | 'rest',
): WireResponse {
  // `message` for shapes that declare it lower-case, `Message` for those (Organizations, …) that do not.
  const body = JSON.stringify({ __type: err.code, message: err.message, Message: err.message });
  return {
    status: err.status,
    headers: {
      'content-type': version === 'rest' ? 'application/json' : `application/x-amz-json-${version}`,
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': err.code,
    },
    body,
  };
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** HTTP status AWS uses for well-known error codes (faults without a `status`). */
export const ERROR_STATUS: Record<string, number> = {
  AccessDenied: 403,
  AccessDeniedException: 403,
  InvalidClientTokenId: 403,
  UnrecognizedClientException: 403,
  ExpiredToken: 400,
  ExpiredTokenException: 400,
  NoSuchEntity: 404,
  DeleteConflict: 409,
  EntityAlreadyExists: 409,
  LimitExceeded: 409,
  ConcurrentModification: 409,
  Throttling: 400,
  ThrottlingException: 400,
  TooManyRequestsException: 429,
  ServiceFailure: 500,
  InternalFailure: 500,
  InternalError: 500,
  InternalException: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  ValidationError: 400,
  ValidationException: 400,
  InvalidInput: 400,
  ResourceNotFoundException: 404,
};

export const DEFAULT_ERROR_MESSAGE: Record<string, string> = {
  AccessDenied: 'User is not authorized to perform this action',
  AccessDeniedException: 'User is not authorized to perform this action',
  Throttling: 'Rate exceeded',
  ThrottlingException: 'Rate exceeded',
  ServiceFailure: 'The request processing has failed because of an unknown error, exception or failure.',
};
