// Vite config for the demo pages (run from the repository root):
//   npx vite --config demos/vite.config.ts            dev server
//   npx vite build --config demos/vite.config.ts      build every page into demos/dist
//
// `import * as sg from 'shadergrad'` resolves to the library's source (src/index.ts), so the pages use
// exactly the public API. Two small plugins:
//   - shaders: regenerates src/gpu/wgsl.gen.ts from shaders/*.wgsl before a build or dev session;
//   - virtual:sg-reference: the source of every exported function in src/reference/*.ts, with file and
//     line, so the step inspector can show the CPU reference an op is checked against.
import { defineConfig, type Plugin } from 'vite';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

function embedShaders(): Plugin {
  return {
    name: 'shadergrad-embed-shaders',
    buildStart() {
      execFileSync(process.execPath, [join(root, 'scripts', 'embed-shaders.mjs')], { stdio: 'inherit' });
    },
  };
}

/** One exported function of a reference file: `export function name(` up to the closing brace at column 0. */
export interface ReferenceFunction {
  name: string;
  file: string;
  line: number;
  source: string;
}

function referenceFunctions(): ReferenceFunction[] {
  const dir = join(root, 'src', 'reference');
  const out: ReferenceFunction[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) {
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^export function (\w+)/.exec(lines[i]);
      if (!m) continue;
      // Include the doc comment just above, if any.
      let start = i;
      while (start > 0 && /^\s*(\/\*\*|\*|\/\/)/.test(lines[start - 1])) start--;
      let end = i;
      while (end < lines.length && lines[end] !== '}' && !/^export function .*\}\s*$/.test(lines[end])) end++;
      out.push({ name: m[1], file: `src/reference/${f}`, line: i + 1, source: lines.slice(start, end + 1).join('\n') });
    }
  }
  return out;
}

function referenceIndex(): Plugin {
  const id = 'virtual:sg-reference';
  return {
    name: 'shadergrad-reference-index',
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    load(loaded) {
      if (loaded !== `\0${id}`) return undefined;
      for (const f of readdirSync(join(root, 'src', 'reference'))) this.addWatchFile(join(root, 'src', 'reference', f));
      return `export const referenceFunctions = ${JSON.stringify(referenceFunctions())};`;
    },
  };
}

const pages = ['index', 'mnist/index', 'playground/index', 'gpt/index', 'clip/index', 'inspector/index', 'bench/index', 'compress/index'];

export default defineConfig({
  root: here,
  base: './',
  plugins: [embedShaders(), referenceIndex()],
  resolve: { alias: { shadergrad: join(root, 'src', 'index.ts') } },
  server: { fs: { allow: [root] } },
  // Module workers (demos/*/train.worker.ts): ES output, so a worker can import() its data chunks.
  worker: { format: 'es' },
  build: {
    outDir: join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Readable output: the inspector shows each op's reference function with Function.toString().
    minify: false,
    chunkSizeWarningLimit: 30_000,
    rollupOptions: { input: Object.fromEntries(pages.map((p) => [p.replace('/index', '') || 'index', join(here, `${p}.html`)])) },
  },
});
