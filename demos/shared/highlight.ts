// Syntax highlighting for the inspector's code views: Prism's WGSL and TypeScript grammars (prismjs, about
// 18 kB minified for core and the four grammars) turned into numbered lines. Prism's WGSL grammar predates
// a few words our shaders use (alias, override, requires, f16, vec4f and the other shorthand types, access
// modes), so they are added to it below.
import Prism from 'prismjs';
import 'prismjs/components/prism-typescript.js';
import 'prismjs/components/prism-wgsl.js';

export type Language = 'wgsl' | 'typescript';

if (!Prism.languages.wgsl) throw new Error('highlight: prismjs has no WGSL grammar (prismjs ≥ 1.29 has prism-wgsl)');
// Before 'builtin' (which lists 'override' as a built-in and has no f16 or shorthand vector types).
Prism.languages.insertBefore('wgsl', 'keyword', {
  'keyword-new': { pattern: /\b(?:alias|override|requires|diagnostic|const_assert|read_write|read|write)\b/, alias: 'keyword' },
  'type-shorthand': { pattern: /\b(?:f16|vec[2-4][fiuh]|mat[2-4]x[2-4][fh])\b/, alias: 'builtin' },
});

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Highlight `code` into one HTML string per line. Each piece of text gets one span carrying the
 * classes of every token it sits in (Prism nests tokens), so no span crosses a line break.
 */
export function highlightLines(code: string, language: Language = 'wgsl'): string[] {
  const lines: string[] = [''];
  const walk = (t: Prism.TokenStream, classes: string[]): void => {
    if (typeof t === 'string') {
      t.split('\n').forEach((part, i) => {
        if (i > 0) lines.push('');
        if (part) lines[lines.length - 1] += classes.length ? `<span class="${classes.join(' ')}">${escapeHtml(part)}</span>` : escapeHtml(part);
      });
    } else if (Array.isArray(t)) {
      for (const x of t) walk(x, classes);
    } else {
      const alias = t.alias === undefined ? [] : Array.isArray(t.alias) ? t.alias : [t.alias];
      walk(t.content, [...new Set([...classes, 'token', t.type, ...alias])]);
    }
  };
  walk(Prism.tokenize(code, Prism.languages[language]), []);
  return lines;
}

/**
 * Render code with line numbers into `container`; lines in [from, to] (1-based) are marked and the
 * first is scrolled into view.
 */
export function renderCode(container: HTMLElement, code: string, mark?: { from: number; to: number }, language: Language = 'wgsl'): void {
  container.innerHTML = highlightLines(code, language)
    .map((l, i) => `<span class="ln${mark && i + 1 >= mark.from && i + 1 <= mark.to ? ' hit' : ''}" data-n="${i + 1}">${l || ' '}</span>`)
    .join('');
  if (mark) {
    const first = container.children[mark.from - 1] as HTMLElement | undefined;
    if (first) container.scrollTop = Math.max(0, first.offsetTop - container.offsetTop - 40);
  }
}

/** Line range [from, to] (1-based) of the WGSL function `name`: from its attributes to the closing brace. */
export function functionLines(code: string, name: string): { from: number; to: number } | undefined {
  const lines = code.split('\n');
  const at = lines.findIndex((l) => new RegExp(`\\bfn\\s+${name}\\s*\\(`).test(l));
  if (at < 0) return undefined;
  let from = at;
  while (from > 0 && /^\s*@/.test(lines[from - 1])) from--;
  let depth = 0;
  let seen = false;
  for (let i = at; i < lines.length; i++) {
    for (const ch of lines[i].replace(/\/\/.*$/, '')) {
      if (ch === '{') {
        depth++;
        seen = true;
      } else if (ch === '}') depth--;
    }
    if (seen && depth === 0) return { from: from + 1, to: i + 1 };
  }
  return { from: from + 1, to: lines.length };
}
