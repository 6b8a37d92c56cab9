/**
 * Report HTML from markdown that holds outside text: raw HTML is text, never markup, and a
 * link keeps its URL only when it is a kind a report links to (never `javascript:`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeHtml, markdownTable, markdownToHtml, renderHtml, safeUrl } from '../../src/util/markdown.js';
import { tempFolder } from '../helpers/runs.js';

const PAYLOAD = '<img src=x onerror=alert(1)>';

/** Every tag the HTML opens, by name. */
function tags(html: string): string[] {
  return [...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((match) => match[1].toLowerCase());
}

describe('markdownToHtml', () => {
  it('shows raw HTML in a table cell, a paragraph or a block as text', () => {
    const markdown = [
      markdownTable(['run', 'error'], [['a', `Cannot read d${PAYLOAD}/mnist`]]),
      `an error: ${PAYLOAD} and <svg onload=alert(2)>`,
      '<script>alert(3)</script>',
      '<div>\n<iframe src="javascript:alert(4)"></iframe>\n</div>',
    ].join('\n\n');
    const html = markdownToHtml(markdown);
    expect(tags(html).filter((tag) => !['table', 'thead', 'tbody', 'tr', 'th', 'td', 'p'].includes(tag))).toEqual([]);
    expect(html).not.toMatch(/<[^>]*\son(error|load)=/i);
    expect(html).toContain('d&lt;img src=x onerror=alert(1)&gt;/mnist');
    expect(html).toContain('&lt;script&gt;alert(3)&lt;/script&gt;');
  });

  it('keeps a bare <div id> section wrapper (the study report anchors its verdicts), nothing with more attributes', () => {
    const html = markdownToHtml(
      '<div id="verdicts">\n\n| a |\n|---|\n| 1 |\n\n</div>\n\n<div id="x" onclick="alert(1)">',
    );
    expect(html).toMatch(/^<div id="verdicts">\s*<table>/);
    expect(html).toContain('</table>\n</div>');
    expect(html).toContain('&lt;div id=&quot;x&quot; onclick=&quot;alert(1)&quot;&gt;');
  });

  it('keeps relative, web and inlined-image URLs and drops script URLs', () => {
    const html = markdownToHtml(
      '[a](javascript:alert(1)) <javascript:alert(2)> [b](JaVaScRiPt&#58;alert(3)) ![c](data:text/html;base64,PHNjcmlwdD4=) ' +
        '[ok](plots/a.svg) [web](https://example.org/x?y=1) ![fig](data:image/svg+xml;base64,PHN2Zz4=)',
    );
    expect(html).not.toMatch(/(href|src)="[^"]*script/i);
    expect(html).not.toContain('data:text/html');
    expect(html).toContain('href="plots/a.svg"');
    expect(html).toContain('href="https://example.org/x?y=1"');
    expect(html).toContain('src="data:image/svg+xml;base64,PHN2Zz4="');
    expect(safeUrl('javascript:alert(1)')).toBe('#');
    expect(safeUrl('runs/a#top')).toBe('runs/a#top');
    expect(safeUrl('runs/lr=0.1+m=0.9/metrics.csv')).toBe('runs/lr=0.1+m=0.9/metrics.csv');
  });

  it('escapes text for HTML', () => {
    expect(escapeHtml(`<a href="x" title='y'>&`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;');
  });
});

describe('markdownTable', () => {
  it('writes a tag in a cell as text, keeping comparisons readable', () => {
    expect(markdownTable(['a'], [[`d${PAYLOAD}`], ['p < 0.05, x<=1']])).toBe(
      '| a |\n|---|\n| d&lt;img src=x onerror=alert(1)> |\n| p < 0.05, x<=1 |',
    );
  });
});

describe('renderHtml', () => {
  it('inlines only SVG figures inside the report folder, and escapes the title', () => {
    const root = tempFolder('inertia-markdown-');
    const dir = path.join(root, 'report');
    fs.mkdirSync(path.join(dir, 'plots'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'plots', 'a.svg'), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    fs.writeFileSync(path.join(root, 'secret.svg'), '<svg>secret</svg>');
    const html = renderHtml(
      '![fig](plots/a.svg)\n\n![outside](../secret.svg)\n\n![missing](plots/none.svg)',
      dir,
      `Report ${PAYLOAD}`,
    );
    expect(html).toContain(
      `src="data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>').toString('base64')}"`,
    );
    expect(html).not.toContain(Buffer.from('<svg>secret</svg>').toString('base64'));
    expect(html).toContain('<title>Report &lt;img src=x onerror=alert(1)&gt;</title>');
  });
});
