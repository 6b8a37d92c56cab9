/**
 * Markdown for reports, and its HTML. Report text holds values from outside inertia (error
 * messages, paths, labels, config values), so the HTML never contains live markup from them:
 * raw HTML in the markdown is shown as text (but a bare `<div id>` section wrapper), and a link
 * or image keeps its URL only when it is a relative path, http(s), mailto, an anchor or an
 * inlined SVG/PNG image.
 */
import fs from 'node:fs';
import path from 'node:path';
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

const STYLE = `
body { font-family: system-ui, -apple-system, "DejaVu Sans", sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; vertical-align: top; }
th { background: #f3f3f3; }
img { max-width: 100%; height: auto; display: block; margin: 1em 0 0.2em; }
code, pre { background: #f6f6f6; }
pre { padding: 0.8em; overflow-x: auto; }
strong { white-space: nowrap; }
.verdict-supported { color: #116611; }
.verdict-not-supported { color: #aa1111; }
.verdict-inconclusive { color: #996600; }
`;

/** The SVG file a figure links to when it is a file inside the report's folder, else null (never read from elsewhere). */
function figureFile(reportDir: string, file: string): string | null {
  const resolved = path.resolve(reportDir, file);
  const inside = path.relative(path.resolve(reportDir), resolved);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return null;
  try {
    return fs.statSync(resolved).isFile() ? resolved : null;
  } catch {
    return null;
  }
}

/**
 * report.html: the markdown rendered by marked (raw HTML shown as text, unsafe URLs dropped), with
 * every SVG plot inlined as a data URI.
 */
export function renderHtml(markdown: string, reportDir: string, title: string): string {
  const inlined = markdown.replace(/!\[([^\]]*)\]\(([^)]+\.svg)\)/g, (match, alt: string, file: string) => {
    const svg = figureFile(reportDir, file);
    return svg === null ? match : `![${alt}](data:image/svg+xml;base64,${fs.readFileSync(svg).toString('base64')})`;
  });
  const body = markdownToHtml(inlined).replace(
    /<strong>(SUPPORTED|NOT SUPPORTED|INCONCLUSIVE)<\/strong>/g,
    (_match, outcome: string) =>
      `<strong class="verdict-${outcome.toLowerCase().replace(' ', '-')}">${outcome}</strong>`,
  );
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body}</body>\n</html>\n`;
}
