// npx tsx bench/mixed.ts [--reps N] — mixed precision (compile's precision: 'mixed') against f32, in
// one run: for the MLP, the CLI's CNN and transformer steps, a plan compiled each way from the same
// weights (Adam), then the hardware-independent figures — bytes moved per step (the ops' cost models,
// f16 values counted at 2 bytes), dispatches, values stored as f16 — and the step time (run + flush,
// the plans alternating, median). #17's figure: bytes per CNN and transformer step ≤ 0.6× the f32 plan.
import * as sg from '../src/index.js';
import { adapterLine, arg, labels, median, rand, type StepModel } from './steps.js';
import { buildModel } from '../src/cli/setup.js';

const reps = Number(arg('reps', '9'));

const info = await sg.init({ quiet: true });
console.log(adapterLine(info));


const B = 64;
const T = 32;
const models: StepModel[] = [
  {
    name: `MLP 784-128-10 (CLI mlp), batch ${B}`,
    build: () => buildModel('mlp', [1, 28, 28], 10),
    loss: (m, x, y) => sg.crossEntropy(m.forward(x), y),
    inputs: [{ shape: [B, 1, 28, 28] }, { shape: [B], dtype: 'i32' }],
    data: [rand(B * 784, 1), labels(B, 10)],
  },
  {
    name: `CNN conv8-bn-relu-pool-conv16-bn-relu-pool-linear (CLI cnn), 28×28, batch ${B}`,
    build: () => buildModel('cnn', [1, 28, 28], 10),
    loss: (m, x, y) => sg.crossEntropy(m.forward(x), y),
    inputs: [{ shape: [B, 1, 28, 28] }, { shape: [B], dtype: 'i32' }],
    data: [rand(B * 784, 2), labels(B, 10)],
  },
  {
    name: `transformer 2 × (d 64, 4 heads, ff 256, pre-norm), 16 × ${T} tokens`,
    build: () => sg.nn.transformerEncoder(sg.nn.transformerEncoderLayer(64, 4, { dimFeedforward: 256, dropout: 0, batchFirst: true, normFirst: true, activation: 'gelu' }), 2),
    loss: (m, x, y) => sg.mseLoss(m.forward(x), y),
    inputs: [{ shape: [16, T, 64] }, { shape: [16, T, 64] }],
    data: [rand(16 * T * 64, 3), rand(16 * T * 64, 4)],
  },
];

async function plan(m: StepModel, precision: 'f32' | 'mixed') {
  sg.manualSeed(1);
  const model = m.build();
  const opt = sg.optim.adam(model.parameters(), { lr: 1e-3 });
  const p = await sg.compile((x, y) => m.loss(model, x, y), { inputs: m.inputs, params: opt.params, optimizer: opt, label: `${m.name} ${precision}`, precision });
  return { p, opt };
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} kB`);
const lines = ['| step | f32 bytes | mixed bytes | mixed ÷ f32 bytes | values in f16 | f32 ms | mixed ms | mixed ÷ f32 time |', '|---|---|---|---|---|---|---|---|'];
for (const m of models) {
  const f = await plan(m, 'f32');
  const h = await plan(m, 'mixed');
  const times = { f: [] as number[], h: [] as number[] };
  for (let r = 0; r < reps + 2; r++) {
    for (const [k, p] of [['f', f.p], ['h', h.p]] as const) {
      const t0 = performance.now();
      p.run(...m.data);
      await p.flush();
      if (r >= 2) times[k].push(performance.now() - t0);
    }
  }
  const fb = f.p.figures().bytes;
  const hb = h.p.figures().bytes;
  const tf = median(times.f);
  const th = median(times.h);
  const values = h.p.explain().length;
  lines.push(`| ${m.name} | ${fmt(fb)} | ${fmt(hb)} | ${(hb / fb).toFixed(2)}× | ${h.p.halfValues} | ${tf.toFixed(1)} | ${th.toFixed(1)} | ${(th / tf).toFixed(2)} |`);
  console.log(lines[lines.length - 1], `(${values} rows; scaler ${JSON.stringify(h.p.scaler)})`);
  if (process.argv.includes('--explain')) console.log(h.p.explainTable());
  for (const x of [f, h]) {
    x.p.dispose();
    x.opt.dispose();
  }
}
console.log(`\n${lines.join('\n')}\n`);
sg.dispose();
