// npx tsx bench/tune.ts [--reps N] [--budget MS] — the autotuner against the fixed rules, in one run:
// for each training step (MLP, CNN, transformer block) a plan compiled with the fixed rules and one
// compiled with `tune: true` (a fresh cache in a temporary folder), each step timed as run + flush
// (wall time, the GPU's work included), the two plans alternating step by step; the median of each and
// their ratio tuned ÷ fixed. The tuned plan is never meant to be slower than the rule by more than noise
// (a version replaces the rule only when its measurement is 5 % faster). Also prints sg.tuning.report().
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../src/index.js';
import { adapterLine, arg, labels, median, rand, type StepModel } from './steps.js';

const reps = Number(arg('reps', '15'));
const budget = Number(arg('budget', '60000'));
process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'sg-tune-bench-'));

const info = await sg.init({ quiet: true });
await sg.tuning.clear();
console.log(adapterLine(info));


const B = 64;
const models: StepModel[] = [
  {
    name: `MLP 784-256-10, batch ${B}`,
    build: () => sg.nn.sequential(sg.nn.linear(784, 256), sg.nn.relu(), sg.nn.linear(256, 10)),
    loss: (m, x, y) => sg.crossEntropy(m.forward(x), y),
    inputs: [{ shape: [B, 784] }, { shape: [B], dtype: 'i32' }],
    data: [rand(B * 784, 1), labels(B, 10)],
  },
  {
    name: `CNN conv8-bn-pool-conv16-pool-linear, 28×28, batch ${B / 2}`,
    build: () => sg.nn.sequential(sg.nn.conv2d(1, 8, 3, { padding: 1 }), sg.nn.batchNorm2d(8), sg.nn.relu(), sg.nn.maxPool2d(2),
      sg.nn.conv2d(8, 16, 3, { padding: 1 }), sg.nn.relu(), sg.nn.maxPool2d(2), sg.nn.flatten(), sg.nn.linear(16 * 7 * 7, 10)),
    loss: (m, x, y) => sg.crossEntropy(m.forward(x), y),
    inputs: [{ shape: [B / 2, 1, 28, 28] }, { shape: [B / 2], dtype: 'i32' }],
    data: [rand((B / 2) * 784, 2), labels(B / 2, 10)],
  },
  {
    name: 'transformer block d64 h4, 8×32 tokens',
    build: () => sg.nn.sequential(sg.nn.transformerEncoderLayer(64, 4, { dimFeedforward: 128, dropout: 0, batchFirst: true, normFirst: true })),
    loss: (m, x, y) => sg.mseLoss(m.forward(x), y),
    inputs: [{ shape: [8, 32, 64] }, { shape: [8, 32, 64] }],
    data: [rand(8 * 32 * 64, 3), rand(8 * 32 * 64, 4)],
  },
];

async function plan(m: StepModel, tune: boolean) {
  sg.manualSeed(1);
  const model = m.build();
  const opt = sg.optim.sgd(model.parameters(), { lr: 0.01 });
  const t0 = performance.now();
  const p = await sg.compile((x, y) => m.loss(model, x, y), {
    inputs: m.inputs, params: opt.params, optimizer: opt, label: m.name, ...(tune ? { tune: true, tuneBudgetMs: budget } : {}),
  });
  return { p, compileMs: performance.now() - t0 };
}

const lines: string[] = ['| step | fixed ms | tuned ms | tuned ÷ fixed | tuning (compile) ms | sites changed |', '|---|---|---|---|---|---|'];
for (const m of models) {
  const fixed = await plan(m, false);
  const tuned = await plan(m, true);
  const times = { fixed: [] as number[], tuned: [] as number[] };
  for (let r = 0; r < reps + 2; r++) {
    for (const [k, p] of [['fixed', fixed.p], ['tuned', tuned.p]] as const) {
      const t0 = performance.now();
      p.run(...m.data);
      await p.flush();
      if (r >= 2) times[k].push(performance.now() - t0);
    }
  }
  const f = median(times.fixed);
  const t = median(times.tuned);
  const changed = tuned.p.explain().filter((r) => r.tuned?.includes('(fixed:')).length;
  lines.push(`| ${m.name} | ${f.toFixed(1)} | ${t.toFixed(1)} | ${(t / f).toFixed(2)} | ${(tuned.compileMs - fixed.compileMs).toFixed(0)} | ${changed} dispatches |`);
  console.log(lines[lines.length - 1]);
  fixed.p.dispose();
  tuned.p.dispose();
}
console.log(`\n${lines.join('\n')}\n`);
console.log((await sg.tuning.report()).table);
await sg.tuning.clear();
sg.dispose();
