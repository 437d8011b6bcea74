// `// #include "common/<file>.wgsl"` for the shaders: WGSL has no includes, so the helpers that several
// kernels share (tree reductions, NaN tests, the grid index, ...) live once under shaders/common/ and
// are pasted into each kernel at build time by scripts/embed-shaders.mjs, which calls expandIncludes.
//
// The rules, kept small so a learner can predict the expanded kernel:
// - A directive is a whole line `// #include "path"`; path is relative to shaders/ (so the same line
//   works in a kernel and in a common file) and names a .wgsl file inside shaders/.
// - The line is replaced by the file's text between two marker comments naming it, so the expanded
//   kernel shows where every line came from:
//     // >>>> #include "common/reduce.wgsl": begin of shaders/common/reduce.wgsl
//     ...the file's lines, their own includes expanded the same way...
//     // <<<< #include "common/reduce.wgsl": end of shaders/common/reduce.wgsl
// - A file is expanded at most once per kernel: a later directive for it becomes one comment line
//   saying so (WGSL forbids declaring a function twice).
// - A missing file, a path outside shaders/ and an include cycle are build errors naming the file
//   and the line of the directive.
// Next to the text, expandIncludes returns where each expanded line comes from (runs of lines of one
// file), which the runtime uses to name the file and line of a WGSL compile error.

export const INCLUDE_DIRECTIVE = /^\s*\/\/\s*#include\s+"([^"]*)"\s*$/;

export function beginMarker(path) {
  return `// >>>> #include "${path}": begin of shaders/${path}`;
}

export function endMarker(path) {
  return `// <<<< #include "${path}": end of shaders/${path}`;
}

export function alreadyIncluded(path) {
  return `// #include "${path}": already included above`;
}

/**
 * Expand the includes of one kernel file.
 * @param {string} file the kernel's path relative to shaders/ (e.g. "loss.wgsl")
 * @param {(path: string) => string | undefined} read a file's text by its path relative to shaders/,
 *   undefined when there is no such file
 * @returns {{ text: string, lines: [number, string, number][] }} the expanded text, and its line origins:
 *   runs [first expanded line, file relative to shaders/, that file's line], 1-based, in order
 */
export function expandIncludes(file, read) {
  const top = read(file);
  if (top === undefined) throw new Error(`shaders/${file}: no such file`);
  const out = [];
  const lines = [];
  const done = new Set([file]);
  // Append one expanded line that is line `line` of `from`, extending the current run when it continues.
  const emit = (text, from, line) => {
    const last = lines[lines.length - 1];
    if (!last || last[1] !== from || last[2] + (out.length + 1 - last[0]) !== line) lines.push([out.length + 1, from, line]);
    out.push(text);
  };
  const expand = (path, text, stack) => {
    const src = text.endsWith('\n') ? text.slice(0, -1) : text;
    src.split('\n').forEach((line, i) => {
      const m = INCLUDE_DIRECTIVE.exec(line);
      if (!m) return emit(line, path, i + 1);
      const where = `shaders/${path}:${i + 1}`;
      const target = m[1];
      if (!/^[\w-]+(\/[\w-]+)*\.wgsl$/.test(target)) {
        throw new Error(`${where}: #include "${target}": the path must name a .wgsl file inside shaders/, relative to it (e.g. "common/reduce.wgsl")`);
      }
      if (stack.includes(target)) {
        const cycle = [...stack.slice(stack.indexOf(target)), target].join(' → ');
        throw new Error(`${where}: #include "${target}" makes an include cycle: ${cycle}`);
      }
      if (done.has(target)) return emit(alreadyIncluded(target), path, i + 1);
      const body = read(target);
      if (body === undefined) throw new Error(`${where}: #include "${target}": no such file shaders/${target}`);
      done.add(target);
      emit(beginMarker(target), path, i + 1);
      expand(target, body, [...stack, target]);
      emit(endMarker(target), path, i + 1);
    });
  };
  expand(file, top, [file]);
  return { text: out.join('\n') + (top.endsWith('\n') ? '\n' : ''), lines };
}

