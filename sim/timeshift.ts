/**
 * Moves every timestamp of a scenario by the same amount so that its `now` becomes the real
 * current time. A scenario's story (keys created last week, an attack yesterday) then stays "recent"
 * for tools that compute windows from the real clock, such as `bks timeline --days 30`, however long
 * after the scenario was written it runs. Used by `bks-sim --shift-to-now` and the demo.
 */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,3})?Z$/;

function shiftString(value: string, deltaMs: number): string {
  const m = ISO_TIME.exec(value);
  if (!m) return value;
  const shifted = new Date(Date.parse(value) + deltaMs).toISOString();
  // Keep the text form: seconds-only timestamps stay seconds-only.
  return m[2] === undefined ? shifted.replace(/\.\d{3}Z$/, 'Z') : shifted;
}

function shiftTree(node: unknown, deltaMs: number): unknown {
  if (typeof node === 'string') return shiftString(node, deltaMs);
  if (Array.isArray(node)) return node.map((v) => shiftTree(v, deltaMs));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = shiftTree(v, deltaMs);
    return out;
  }
  return node;
}

/**
 * Returns a copy of the raw scenario with every ISO 8601 UTC timestamp moved by `to - now`
 * (whole seconds). A scenario without `now` has no reference point and is returned unchanged.
 */
export function shiftScenarioToNow(scenario: unknown, to: Date = new Date()): unknown {
  if (scenario === null || typeof scenario !== 'object' || Array.isArray(scenario)) return scenario;
  const now = (scenario as { now?: unknown }).now;
  if (typeof now !== 'string' || !ISO_TIME.test(now)) return scenario;
  const deltaMs = Math.round((to.getTime() - Date.parse(now)) / 1000) * 1000;
  return shiftTree(scenario, deltaMs);
}
