// A small WGSL (and TypeScript) highlighter: one pass over the text with a regular expression per token
// class. Good enough for reading kernels; not a parser.

const WGSL_KEYWORDS = new Set([
  'fn', 'var', 'let', 'const', 'override', 'struct', 'alias', 'return', 'if', 'else', 'for', 'while', 'loop',
  'break', 'continue', 'continuing', 'switch', 'case', 'default', 'discard', 'true', 'false', 'enable',
  'requires', 'storage', 'uniform', 'workgroup', 'private', 'function', 'read', 'read_write', 'write',
  // TypeScript, for the reference functions
  'export', 'function', 'import', 'from', 'type', 'interface', 'new', 'of', 'in', 'throw', 'null', 'undefined', 'as',
]);
const WGSL_TYPES = /^(f32|f16|i32|u32|bool|vec[234][fiuh]?|mat[234]x[234][fh]?|array|atomic|ptr|texture_\w+|sampler|number|string|boolean|HostTensor|Float64Array|Float32Array|Int32Array)$/;

const TOKEN = /(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|(@\w+)|(\b\d+(?:\.\d*)?(?:e[+-]?\d+)?[uifh]?\b|\b0x[0-9a-f]+[ui]?\b)|([A-Za-z_]\w*)(\s*(?=\())?/gi;

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Highlight one chunk of code into HTML (comments may span lines: call on the whole text). */
export function highlight(code: string): string {
  let out = '';
  let last = 0;
  for (const m of code.matchAll(TOKEN)) {
    out += escapeHtml(code.slice(last, m.index));
    last = m.index! + m[0].length;
    const [text, comment, attr, num, ident, call] = m;
    if (comment) out += `<span class="tok-com">${escapeHtml(comment)}</span>`;
    else if (attr) out += `<span class="tok-attr">${attr}</span>`;
    else if (num) out += `<span class="tok-num">${num}</span>`;
    else if (ident) {
      const cls = WGSL_KEYWORDS.has(ident) ? 'tok-kw' : WGSL_TYPES.test(ident) ? 'tok-ty' : call !== undefined ? 'tok-fn' : '';
      out += cls ? `<span class="${cls}">${ident}</span>${call ?? ''}` : escapeHtml(text);
    } else out += escapeHtml(text);
  }
  return out + escapeHtml(code.slice(last));
}

/**
 * Render code with line numbers into `container`; lines in [from, to] (1-based) are marked and the
 * first is scrolled into view. Comments spanning lines keep their colour on each line.
 */
export function renderCode(container: HTMLElement, code: string, mark?: { from: number; to: number }): void {
  const html = highlight(code);
  // Split highlighted HTML into lines, re-opening a span that crosses a newline.
  const lines: string[] = [];
  let open: string | null = null;
  for (const raw of html.split('\n')) {
    let line = (open ?? '') + raw;
    const opens = [...raw.matchAll(/<span class="[^"]+">/g)];
    const closes = (raw.match(/<\/span>/g) ?? []).length;
    if (open && closes === 0 && opens.length === 0) {
      line += '</span>';
    } else {
      const balance = opens.length - closes + (open ? 1 : 0);
      if (balance > 0) {
        open = opens.length ? opens[opens.length - 1][0] : open;
        line += '</span>';
      } else open = null;
    }
    lines.push(line);
  }
  container.innerHTML = lines
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
