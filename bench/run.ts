// npm run bench — shadergrad's kernels and training steps side by side with TensorFlow.js (WebGPU)
// and jax-js (WebGPU), in one process on one adapter. Prints a table and writes JSON.
//   --only matmul,conv,norm,attention,optim,train,transformer,attention-memory,host,figures   groups to run
//                          (default all; attention-memory is a table of peak bytes, host the JS time per
//                          training step against the peers', figures the step figures: bench/rows-host.ts)
//   --sizes 256,512,1024   matmul sizes (default: up to 1024 on a software adapter, 4096 on a GPU)
//   --reps N               timed repetitions (default 7)
//   --budget S             stop repeating an implementation after S seconds, 2 runs at least (default 20)
//   --out FILE             JSON path (default bench/results/latest.json)
//   --markdown             also print the table in Markdown (as recorded in bench/RESULTS.md)
//   --peers tfjs,jax       which peers to load --scale test|software|hardware  shapes (default: by adapter)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as sg from '../src/index.js';
import { formatMarkdown, formatResults, measure } from './harness.js';
import { loadPeers, shareNodeGpu } from './peers.js';
import { matmulVersions } from '../src/ops/matmul.js';
import { benchReports, benchRows, GROUPS, REPORTS, type Scale } from './rows-ops.js';
import { formatFigures, formatHost, HOST_REPORTS, hostOverhead, stepFiguresReport } from './rows-host.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const reps = Number(arg('reps', '7'));
const out = arg('out', 'bench/results/latest.json');
const choices: readonly string[] = [...GROUPS, ...REPORTS, ...HOST_REPORTS];
const only = arg('only', choices.join(',')).split(',');
const unknown = only.filter((g) => !choices.includes(g));
if (unknown.length) {
  console.error(`unknown group(s) ${unknown.join(', ')}: choose from ${choices.join(', ')}`);
  process.exit(2);
}

await shareNodeGpu();
const info = await sg.init({ quiet: true });
const peers = await loadPeers(arg('peers', 'tfjs,jax').split(','));
const adapter = `${info.vendor} ${info.architecture} ${info.description}`.trim();
const scale = arg('scale', info.software ? 'software' : 'hardware') as Scale;
const sizes = arg('sizes', info.software ? '256,512,1024' : '256,512,1024,2048,4096').split(',').map(Number);
console.log(`adapter: ${adapter}${info.software ? ' (software)' : ''} · features: ${info.features.join(', ')} · shapes: ${scale}`);
for (const n of peers.notes) console.log(`note: ${n}`);

const rows = await benchRows(peers, only, scale, {
  // Every version that runs as itself on a square n×n×n product here (matmulVersions), but naive at
  // n ≥ 1024 on a software adapter (minutes) and split-K (a long-K kernel, not a square one).
  sizes, versions: (n) => matmulVersions({ M: n, N: n, K: n }, info.features)
    .filter((v) => v !== 'splitk' && !(v === 'naive' && n >= 1024 && info.software)),
});
const results = await measure(rows, { warmup: 2, reps, budgetMs: 1000 * Number(arg('budget', '20')), log: (l) => console.log(l) });
if (rows.length) {
  console.log(`\n${formatResults(results, rows)}`);
  if (process.argv.includes('--markdown')) console.log(`\n${formatMarkdown(results, rows)}`);
}
const reports = await benchReports(only, scale);
if (only.includes('host')) {
  const data = await hostOverhead(peers, scale, { log: (l) => console.log(l) });
  reports.push({ name: 'host', markdown: formatHost(data), data });
}
if (only.includes('figures')) {
  const data = await stepFiguresReport(scale);
  reports.push({ name: 'figures', markdown: formatFigures(data), data });
}
for (const r of reports) console.log(`\n${r.name}:\n${r.markdown}`);
mkdirSync(dirname(out), { recursive: true });
const extra = Object.fromEntries(reports.map((r) => [r.name, r.data]));
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), adapter, software: info.software, runtime: 'node', scale, results, ...extra }, null, 2));
console.log(`\nJSON: ${out}`);
sg.dispose();
process.exit(0);
