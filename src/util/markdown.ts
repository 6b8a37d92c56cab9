/**
 * Markdown for reports, and its HTML. Report text holds values from outside inertia (error
 * messages, paths, labels, config values), so the HTML never contains live markup from them:
 * raw HTML in the markdown is shown as text (but a bare `<div id>` section wrapper), and a link
 * or image keeps its URL only when it is a relative path, http(s), mailto, an anchor or an
 * inlined SVG/PNG image.
 */
import { Marked, type Tokens } from 'marked';

/**
 * Markdown tables for reports: cells escaped so a `|` or a newline in a value cannot break a row,
 * and a `<` that would open a tag is `&lt;`, so a value is never markup in any markdown viewer.
 */
function cell(value: string | number): string {
  return String(value)
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ')
    .replace(/<(?=[A-Za-z/!?])/g, '&lt;');
}

export function markdownTable(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [
    `| ${columns.map(cell).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` safe inside HTML text or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]);
}

/** Relative paths (letters, digits, `._-/%~=+,@` only: no scheme, no entity), web and mail links, anchors, inlined images. */
const SAFE_URL =
  /^(?:[\w.\-/%~=+,@]+(?:#[\w.-]*)?|#[\w.-]*|https?:\/\/[^\s"'<>]+|mailto:[^\s"'<>]+|data:image\/(?:svg\+xml|png);base64,[A-Za-z0-9+/=]+)$/i;

/** `url` when it is one of the kinds a report links to, else `#` (a `javascript:` link is never kept). */
export function safeUrl(url: string): string {
  return SAFE_URL.test(url) ? url : '#';
}

/** The one raw HTML a report keeps: a bare `<div id="...">` wrapper (an anchor for a section) and its close. */
const SECTION_WRAPPER = /^<\/?div(?: id="[a-z-]+")?>$/;

const reportMarked = new Marked({
  renderer: {
    // Raw HTML (block or inline) is text in a report, never markup; a section wrapper has no attribute to abuse.
    html: ({ text }: Tokens.HTML | Tokens.Tag) => (SECTION_WRAPPER.test(text.trim()) ? text : escapeHtml(text)),
  },
  walkTokens(token) {
    if (token.type === 'link' || token.type === 'image')
      (token as Tokens.Link | Tokens.Image).href = safeUrl(token.href);
  },
});

/** The HTML of a report's markdown, with raw HTML escaped and unsafe URLs dropped. */
export function markdownToHtml(markdown: string): string {
  return reportMarked.parse(markdown, { async: false }) as string;
}
