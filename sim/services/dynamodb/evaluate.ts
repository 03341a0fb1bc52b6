/**
 * The evaluation of DynamoDB expressions (the trees of ./expressions.ts) against an item, as AWS
 * evaluates them (Amazon DynamoDB Developer Guide, "Condition and filter expressions, operators,
 * and functions", "Update expressions", "Projection expressions"): document paths, comparisons
 * (values of different types never order), the functions, the update actions applied to a copy of
 * the item (every right-hand side reads the item as it was before the update), and projections.
 */
import type { Cond, Operand, PathOp, Seg, UpdateAction } from './expressions';
import {
  type AV,
  addNumbers,
  clone,
  equalValues,
  type Item,
  invalid,
  order,
  TYPE_NAMES,
  TYPES,
  typeOf,
} from './values';

const SCALAR = new Set(['S', 'N', 'B']);

export function getPath(item: Item, segs: Seg[]): AV | undefined {
  let cur: AV | undefined = item[segs[0] as string];
  for (const s of segs.slice(1)) {
    if (!cur) return undefined;
    if (typeof s === 'number') cur = Array.isArray(cur.L) ? (cur.L as AV[])[s] : undefined;
    else cur = cur.M && typeof cur.M === 'object' ? (cur.M as Item)[s] : undefined;
  }
  return cur;
}

function formatPath(segs: Seg[]): string {
  return `[${segs.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join(', ')}]`;
}

/** Sets a path in place; the parent of a nested path must exist (AWS does not create it). */
function setPath(item: Item, segs: Seg[], v: AV): void {
  if (segs.length === 1) {
    item[segs[0] as string] = v;
    return;
  }
  const parent = getPath(item, segs.slice(0, -1));
  const last = segs[segs.length - 1]!;
  if (typeof last === 'number' && parent && Array.isArray(parent.L)) {
    const list = parent.L as AV[];
    if (last >= list.length) list.push(v);
    else list[last] = v;
  } else if (typeof last === 'string' && parent?.M && typeof parent.M === 'object') {
    (parent.M as Item)[last] = v;
  } else invalid('The document path provided in the update expression is invalid for update');
}

function removePath(item: Item, segs: Seg[]): void {
  if (segs.length === 1) {
    delete item[segs[0] as string];
    return;
  }
  const parent = getPath(item, segs.slice(0, -1));
  const last = segs[segs.length - 1]!;
  if (typeof last === 'number' && parent && Array.isArray(parent.L)) (parent.L as AV[]).splice(last, 1);
  else if (typeof last === 'string' && parent?.M && typeof parent.M === 'object')
    delete (parent.M as Item)[last];
  else if (!parent) return;
  else invalid('The document path provided in the update expression is invalid for update');
}

export function evalOperand(op: Operand, item: Item): AV | undefined {
  switch (op.kind) {
    case 'path':
      return getPath(item, op.segs);
    case 'value':
      return op.value;
    case 'size': {
      const v = getPath(item, op.path.segs);
      if (!v) return undefined;
      const t = typeOf(v);
      const x = v[t];
      if (t === 'S') return { N: String([...(x as string)].length) };
      if (t === 'B') return { N: String(Buffer.from(x as string, 'base64').length) };
      if (Array.isArray(x)) return { N: String(x.length) };
      if (t === 'M') return { N: String(Object.keys(x as Item).length) };
      invalid(
        `Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: ${TYPE_NAMES[t]}`,
      );
      break;
    }
    case 'if_not_exists':
      return getPath(item, op.path.segs) ?? evalOperand(op.dflt, item);
    case 'list_append': {
      const a = evalOperand(op.a, item);
      const b = evalOperand(op.b, item);
      if (!a || !b) invalid('The provided expression refers to an attribute that does not exist in the item');
      if (!Array.isArray(a.L) || !Array.isArray(b.L))
        invalid('An operand in the update expression has an incorrect data type');
      return { L: [...clone(a.L as AV[]), ...clone(b.L as AV[])] };
    }
    case 'arith': {
      const a = evalOperand(op.a, item);
      const b = evalOperand(op.b, item);
      if (!a || !b) invalid('The provided expression refers to an attribute that does not exist in the item');
      if (typeOf(a) !== 'N' || typeOf(b) !== 'N')
        invalid('An operand in the update expression has an incorrect data type');
      return { N: addNumbers(a.N as string, b.N as string, op.op === '+' ? 1n : -1n) };
    }
  }
  return undefined;
}

/** Ordering comparators refuse literal operands that are not scalars, as AWS does. */
function checkScalarLiteral(kind: string, fn: string, ops: Operand[]): void {
  for (const op of ops) {
    if (op.kind === 'value' && !SCALAR.has(typeOf(op.value))) {
      invalid(
        `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: ${fn}, operand type: ${TYPE_NAMES[typeOf(op.value)]}`,
      );
    }
  }
}

export function evalCondition(kind: string, c: Cond, item: Item): boolean {
  switch (c.kind) {
    case 'and':
      return evalCondition(kind, c.a, item) && evalCondition(kind, c.b, item);
    case 'or':
      return evalCondition(kind, c.a, item) || evalCondition(kind, c.b, item);
    case 'not':
      return !evalCondition(kind, c.a, item);
    case 'cmp': {
      const a = evalOperand(c.a, item);
      const b = evalOperand(c.b, item);
      if (c.op === '=') return !!a && !!b && equalValues(a, b);
      if (c.op === '<>') return !(a && b && equalValues(a, b));
      checkScalarLiteral(kind, c.op, [c.a, c.b]);
      const o = a && b ? order(a, b) : undefined;
      if (o === undefined) return false;
      return c.op === '<' ? o < 0 : c.op === '<=' ? o <= 0 : c.op === '>' ? o > 0 : o >= 0;
    }
    case 'between': {
      checkScalarLiteral(kind, 'BETWEEN', [c.a, c.lo, c.hi]);
      const a = evalOperand(c.a, item);
      const lo = evalOperand(c.lo, item);
      const hi = evalOperand(c.hi, item);
      if (!a || !lo || !hi) return false;
      const l = order(lo, hi);
      if (l !== undefined && l > 0) {
        invalid(
          `Invalid ${kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound`,
        );
      }
      const x = order(a, lo);
      const y = order(a, hi);
      return x !== undefined && y !== undefined && x >= 0 && y <= 0;
    }
    case 'in': {
      const a = evalOperand(c.a, item);
      return (
        !!a &&
        c.list.some((op) => {
          const v = evalOperand(op, item);
          return !!v && equalValues(a, v);
        })
      );
    }
    case 'fn': {
      const [p, arg] = c.args as [PathOp, Operand | undefined];
      const v = getPath(item, p.segs);
      if (c.name === 'attribute_exists') return v !== undefined;
      if (c.name === 'attribute_not_exists') return v === undefined;
      const w = arg ? evalOperand(arg, item) : undefined;
      if (c.name === 'attribute_type') {
        if (!w || typeOf(w) !== 'S' || !(TYPES as readonly string[]).includes(w.S as string)) {
          invalid(
            `Invalid ${kind}: Invalid attribute type name found; type: ${w ? String(w[typeOf(w)]) : ''}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
          );
        }
        return !!v && typeOf(v) === w.S;
      }
      if (!v || !w) return false;
      const tv = typeOf(v);
      const tw = typeOf(w);
      if (c.name === 'begins_with') {
        if (arg?.kind === 'value' && tw !== 'S' && tw !== 'B') {
          invalid(
            `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${TYPE_NAMES[tw]}`,
          );
        }
        if (tv === 'S' && tw === 'S') return (v.S as string).startsWith(w.S as string);
        if (tv === 'B' && tw === 'B') {
          const a = Buffer.from(v.B as string, 'base64');
          const b = Buffer.from(w.B as string, 'base64');
          return a.subarray(0, b.length).equals(b);
        }
        return false;
      }
      // contains
      if (tv === 'S' && tw === 'S') return (v.S as string).includes(w.S as string);
      if (tv === 'B' && tw === 'B')
        return Buffer.from(v.B as string, 'base64').includes(Buffer.from(w.B as string, 'base64'));
      if (tv === 'SS' || tv === 'NS' || tv === 'BS')
        return tw === tv.slice(0, 1) && (v[tv] as string[]).includes(w[tw] as string);
      if (tv === 'L') return (v.L as AV[]).some((m) => equalValues(m, w));
      return false;
    }
  }
}

export function project(item: Item, paths: PathOp[]): Item {
  const out: Item = {};
  for (const p of paths) {
    const v = getPath(item, p.segs);
    if (v === undefined) continue;
    let target: Item | AV[] = out;
    for (let i = 0; i < p.segs.length - 1; i++) {
      const s = p.segs[i]!;
      const nextIsIndex = typeof p.segs[i + 1] === 'number';
      const fresh: AV = nextIsIndex ? { L: [] } : { M: {} };
      let holder: AV;
      if (Array.isArray(target)) {
        holder = fresh;
        target.push(holder);
      } else {
        holder = target[s as string] ??= fresh;
      }
      target = (nextIsIndex ? holder.L : holder.M) as Item | AV[];
    }
    const last = p.segs[p.segs.length - 1]!;
    if (Array.isArray(target)) target.push(clone(v));
    else target[last as string] = clone(v);
  }
  return out;
}

function pathsOverlap(a: Seg[], b: Seg[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Orders document paths: segment by segment, list indexes by number. */
function comparePaths(a: Seg[], b: Seg[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * The order in which an update's actions apply, so that every list index names an element of the
 * list as it was before the update (Amazon DynamoDB Developer Guide, "Using update expressions":
 * elements added by one SET beyond the end of a list are appended in the order of their index,
 * and `REMOVE xs[1], xs[2]` removes the second and third elements of the original list). SET
 * actions apply by ascending path, REMOVE actions by descending path, each in its clause's place.
 */
function inListOrder<T extends { a: UpdateAction }>(steps: T[]): T[] {
  const sets = steps
    .filter((s) => s.a.kind === 'SET')
    .sort((x, y) => comparePaths(x.a.path.segs, y.a.path.segs));
  const removes = steps
    .filter((s) => s.a.kind === 'REMOVE')
    .sort((x, y) => comparePaths(y.a.path.segs, x.a.path.segs));
  return steps.map((s) =>
    s.a.kind === 'SET' ? sets.shift()! : s.a.kind === 'REMOVE' ? removes.shift()! : s,
  );
}

/**
 * The item after an update: `old` (or, for an upsert, the key alone) with the actions applied.
 * Refuses overlapping paths, a SET of a missing right-hand side, and ADD or DELETE of a wrong type.
 */
export function applyUpdate(actions: UpdateAction[], old: Item | undefined, key: Item): Item {
  for (let i = 0; i < actions.length; i++) {
    for (let j = i + 1; j < actions.length; j++) {
      const x = actions[i]!.path.segs;
      const y = actions[j]!.path.segs;
      if (pathsOverlap(x, y)) {
        invalid(
          `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${formatPath(x)}, path two: ${formatPath(y)}`,
        );
      }
    }
  }
  const before: Item = old ?? key;
  // Every right-hand side reads the item as it was before the update.
  const steps = actions.map((a) => ({ a, v: a.kind === 'SET' ? evalOperand(a.value, before) : undefined }));
  const next: Item = clone(before);
  for (const { a, v } of inListOrder(steps)) {
    if (a.kind === 'SET') {
      if (!v) invalid('The provided expression refers to an attribute that does not exist in the item');
      setPath(next, a.path.segs, clone(v));
    } else if (a.kind === 'REMOVE') removePath(next, a.path.segs);
    else {
      const vt = typeOf(a.value);
      const isSet = vt === 'SS' || vt === 'NS' || vt === 'BS';
      if (a.kind === 'ADD' && vt !== 'N' && !isSet) {
        invalid(
          `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${TYPE_NAMES[vt]}`,
        );
      }
      if (a.kind === 'DELETE' && !isSet) {
        invalid(
          `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${TYPE_NAMES[vt]}`,
        );
      }
      const cur = getPath(next, a.path.segs);
      if (cur && typeOf(cur) !== vt)
        invalid('An operand in the update expression has an incorrect data type');
      if (a.kind === 'ADD') {
        if (!cur) setPath(next, a.path.segs, clone(a.value));
        else if (vt === 'N')
          setPath(next, a.path.segs, { N: addNumbers(cur.N as string, a.value.N as string) });
        else {
          const members = [...(cur[vt] as string[])];
          for (const m of a.value[vt] as string[]) if (!members.includes(m)) members.push(m);
          setPath(next, a.path.segs, { [vt]: members });
        }
      } else if (cur) {
        const drop = new Set(a.value[vt] as string[]);
        const members = (cur[vt] as string[]).filter((m) => !drop.has(m));
        if (members.length === 0) removePath(next, a.path.segs);
        else setPath(next, a.path.segs, { [vt]: members });
      }
    }
  }
  return next;
}
