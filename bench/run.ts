// npm run bench — shadergrad's kernels and training steps side by side with TensorFlow.js (WebGPU)
// and jax-js (WebGPU), in one process on one adapter. Prints a table and writes JSON.
//   --sizes 256,512,1024   matmul sizes        --reps N       timed repetitions (default 7)
//   --out FILE             JSON path (default bench/results/latest.json)
//   --only matmul,train    groups to run (default both)       --peers tfjs,jax  which peers to load
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as sg from '../src/index.js';
import { formatResults, measure, type Row } from './harness.js';
import { loadPeers, shareNodeGpu } from './peers.js';
import { matmulRow, mlpStepRow } from './rows.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const sizes = arg('sizes', '256,512,1024').split(',').map(Number);
const reps = Number(arg('reps', '7'));
const out = arg('out', 'bench/results/latest.json');
const only = arg('only', 'matmul,train').split(',');

await shareNodeGpu();
const info = await sg.init({ quiet: true });
const peers = await loadPeers(arg('peers', 'tfjs,jax').split(','));
const adapter = `${info.vendor} ${info.architecture} ${info.description}`.trim();
console.log(`adapter: ${adapter}${info.software ? ' (software)' : ''} · features: ${info.features.join(', ')}`);
for (const n of peers.notes) console.log(`note: ${n}`);

const rows: Row[] = [];
if (only.includes('matmul')) {
  for (const n of sizes) rows.push(matmulRow(peers, n, n >= 1024 && info.software ? ['tiled', 'vec4'] : ['naive', 'tiled', 'vec4']));
}
if (only.includes('train')) rows.push(mlpStepRow(peers, 64));
const results = await measure(rows, { warmup: 2, reps, budgetMs: 20_000, log: (l) => console.log(l) });
const table = formatResults(results, rows);
console.log(`\n${table}`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), adapter, software: info.software, runtime: 'node', results }, null, 2));
console.log(`\nJSON: ${out}`);
sg.dispose();
process.exit(0);
