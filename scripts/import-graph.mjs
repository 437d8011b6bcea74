// Lists the import cycles among the TypeScript files under a folder (default src/): each strongly
// connected component of the import graph with more than one file, or a file importing itself.
//
//   node scripts/import-graph.mjs                 every cycle in src/
//   node scripts/import-graph.mjs src/graph       only imports between files of src/graph/
//   node scripts/import-graph.mjs --runtime       ignore `import type` / `export type` (erased by tsc)
//   node scripts/import-graph.mjs --layers        also check src/'s layer stack (LAYERS below): no
//                                                 file imports a file of a higher layer
//
// Exits 1 when there is a cycle. Reads `import ... from './x.js'`, `export ... from`, and
// `import('./x.js')` with relative paths; a .js specifier names the .ts file beside it.

import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const args = process.argv.slice(2);
const runtimeOnly = args.includes('--runtime');
const checkLayers = args.includes('--layers');
const root = resolve(args.find((a) => !a.startsWith('--')) ?? 'src');

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'";]*?\sfrom\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const out = new Set();
  for (const m of text.matchAll(IMPORT)) {
    if (runtimeOnly && m[2]) continue;
    const spec = m[3] ?? m[4];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec).replace(/\.(m?)js$/, '.$1ts');
    if (existsSync(target) && target.startsWith(root + '/')) out.add(target);
  }
  return [...out];
}

const graph = new Map(files(root).map((f) => [f, importsOf(f)]));

// Tarjan's strongly connected components, with an explicit stack (no recursion limit).
const index = new Map();
const low = new Map();
const onStack = new Set();
const stack = [];
const cycles = [];
let next = 0;
for (const start of graph.keys()) {
  if (index.has(start)) continue;
  const work = [[start, 0]];
  index.set(start, next);
  low.set(start, next++);
  stack.push(start);
  onStack.add(start);
  while (work.length) {
    const top = work[work.length - 1];
    const [v, i] = top;
    const edges = graph.get(v) ?? [];
    if (i < edges.length) {
      top[1]++;
      const w = edges[i];
      if (!index.has(w)) {
        index.set(w, next);
        low.set(w, next++);
        stack.push(w);
        onStack.add(w);
        work.push([w, 0]);
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
      continue;
    }
    work.pop();
    if (work.length) {
      const u = work[work.length - 1][0];
      low.set(u, Math.min(low.get(u), low.get(v)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc);
    }
  }
}

/** A shortest path from `start` back to itself inside one component (breadth first). */
function shortestCycle(start, members) {
  const from = new Map();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v)) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [];
        for (let u = v; u !== start; u = from.get(u)) path.unshift(u);
        return [start, ...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

const rel = (f) => relative(process.cwd(), f);
const what = `${runtimeOnly ? 'runtime ' : ''}imports among ${graph.size} files under ${rel(root) || '.'}`;
if (!cycles.length) {
  console.log(`no import cycle (${what})`);
} else {
  console.log(`${cycles.length} import cycle${cycles.length > 1 ? 's' : ''} (${what}):`);
  for (const scc of cycles) {
    const members = new Set(scc);
    console.log(`  ${scc.length} files, e.g. ${shortestCycle(scc.sort()[0], members).map(rel).join(' → ')}:`);
    for (const f of scc.sort()) {
      console.log(`    ${rel(f)} → ${graph.get(f).filter((g) => members.has(g)).map(rel).join(', ')}`);
    }
  }
  process.exitCode = 1;
}

// src/'s layer stack, bottom first: a file may import files of its own layer and of the layers
// below, never above. Each entry is a folder of src/ or a file path; the most specific entry wins.
const LAYERS = [
  ['util'],                           // shapes and dtypes, errors, option checks, random numbers
  ['reference'],                      // float64 CPU references of every op
  ['gpu'],                            // device, kernel registry, dispatch types, stats
  ['memory'],                         // buffer pool, memory planner
  ['runtime'],                        // program-order queue, executor, device-side index checks
  ['tensor'],                         // lazy tensors, scopes, what a node needs of its op (NodeOp)
  ['ops'],                            // the op contract (op.ts) and the op families
  ['graph'],                          // autodiff, fusion, compiled plans
  ['nn', 'optim'],                    // layers and modules; optimizers and schedules
  ['io', 'data', 'metrics'],          // checkpoints and interop; datasets; metrics
  ['train', 'models'],                // fit, evaluate, search; whole models (sg.models)
  ['worker'],                         // training in a Web Worker: serve() in the worker, spawn() on the page
  ['vis'],                            // live training charts over uPlot (the shadergrad/vis subpath)
  ['index.ts', 'internals.ts', 'option-keys.ts'], // the public API (sg.kernels: internals.ts)
  ['cli'],                            // the shadergrad command (a user of the public API)
];

function layerOf(file) {
  const r = relative(resolve('src'), file);
  let best = -1;
  let bestLen = -1;
  LAYERS.forEach((entries, i) => {
    for (const e of entries) {
      if ((r === e || r.startsWith(e + '/')) && e.length > bestLen) {
        best = i;
        bestLen = e.length;
      }
    }
  });
  return best;
}

if (checkLayers) {
  const upward = [];
  const unplaced = new Set();
  for (const [f, targets] of graph) {
    const lf = layerOf(f);
    if (lf < 0) unplaced.add(rel(f));
    for (const t of targets) {
      const lt = layerOf(t);
      if (lf >= 0 && lt > lf) upward.push(`${rel(f)} (${LAYERS[lf].join(', ')}) → ${rel(t)} (${LAYERS[lt].join(', ')})`);
    }
  }
  if (unplaced.size) console.log(`files in no layer: ${[...unplaced].join(', ')}`);
  if (upward.length) {
    console.log(`${upward.length} upward import${upward.length > 1 ? 's' : ''}:`);
    for (const u of upward) console.log(`  ${u}`);
  } else console.log(`no upward import (${what}, ${LAYERS.length} layers)`);
  if (upward.length || unplaced.size) process.exitCode = 1;
}
