/** HTML output shared by the reports and the approval page. */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe inside HTML elements and quoted attributes (null and undefined become ''). */
export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}
