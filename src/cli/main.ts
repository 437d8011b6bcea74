#!/usr/bin/env node
// The `shadergrad` command: train, explain, search.
//
//   shadergrad train  [--model cnn|mlp] [--dataset mnist|spiral|moons|circles|xor] [--epochs N]
//                     [--batch-size N] [--lr X] [--optimizer sgd|momentum|rmsprop|adam|adamw]
//                     [--scheduler constant|step|cosine|exponential|linear|inverse-sqrt|plateau]
//                     [--seed N] [--out DIR] [--count N] [--patience N] [--weight-decay X]
//   shadergrad explain [--model mlp|cnn] [--batch-size N] [--profile]
//   shadergrad search  [--model ...] [--dataset ...] [--trials N] [--epochs N] [--out DIR]

import { mkdirSync, writeFileSync, appendFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as sg from '../index.js';
import { renderReport } from './report.js';
import { buildModel, loadDataset, makeOptimizer, makeScheduler, type ModelName } from './setup.js';

interface Args {
  _: string[];
  [k: string]: string | boolean | string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s.startsWith('--')) {
      const [k, v] = s.slice(2).split('=');
      if (v !== undefined) a[k] = v;
      else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) a[k] = argv[++i];
      else a[k] = true;
    } else a._.push(s);
  }
  return a;
}

function num(a: Args, k: string, def: number): number {
  const v = a[k];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${k} must be a number, got '${v}'`);
  return n;
}

function str(a: Args, k: string, def: string): string {
  const v = a[k];
  return typeof v === 'string' ? v : def;
}

function bar(frac: number, width = 24): string {
  const n = Math.round(frac * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

const HELP = `shadergrad — train neural networks with WebGPU compute shaders

usage:
  shadergrad train   [--model cnn|mlp] [--dataset mnist|spiral|moons|circles|xor] [--epochs 2]
                     [--batch-size 32] [--lr 0.002] [--optimizer adam|adamw|sgd|momentum|rmsprop|nesterov]
                     [--scheduler cosine|constant|step|exponential|linear|inverse-sqrt|plateau]
                     [--seed 1] [--out runs/latest] [--count 6000] [--patience 3] [--weight-decay 0]
  shadergrad explain [--model cnn|mlp] [--batch-size 64] [--profile]
  shadergrad search  [--model mlp] [--dataset spiral] [--trials 6] [--epochs 5] [--mode grid|random] [--out runs/search]
`;

async function train(a: Args): Promise<void> {
  const modelName = str(a, 'model', 'cnn') as ModelName;
  const datasetName = str(a, 'dataset', 'mnist');
  const epochs = num(a, 'epochs', 2);
  const batchSize = num(a, 'batch-size', 32);
  const lr = num(a, 'lr', 2e-3);
  const seed = num(a, 'seed', 1);
  const out = str(a, 'out', 'runs/latest');
  const optName = str(a, 'optimizer', 'adam');
  const schedName = str(a, 'scheduler', 'cosine');
  const info = await sg.init();
  sg.nn.manualSeed(seed);
  const { train: trainSet, test: testSet, numClasses, inputShape } = await loadDataset(datasetName, { count: num(a, 'count', 6000), seed });
  const model = buildModel(modelName, inputShape, numClasses);
  const scheduler = makeScheduler(schedName, epochs);
  const optimizer = makeOptimizer(optName, model.parameters(), { lr, weightDecay: num(a, 'weight-decay', 0), scheduler });
  mkdirSync(out, { recursive: true });
  const metricsPath = join(out, 'metrics.jsonl');
  const ckpt = join(out, 'model.safetensors');
  if (existsSync(metricsPath)) rmSync(metricsPath);
  const config = { model: modelName, dataset: datasetName, epochs, batchSize, lr, optimizer: optName, scheduler: schedName, seed, train: trainSet.length, test: testSet.length };
  console.log(`shadergrad train: ${model.toString()}\n  ${model.numParameters()} parameters · ${trainSet.length} training samples · adapter ${info.vendor} ${info.description}`);
  const stepsPerEpoch = Math.ceil(trainSet.length * 0.9 / batchSize);
  let lastDraw = 0;
  const history = await sg.train.fit(model, {
    data: trainSet, validationSplit: 0.1, loss: 'crossEntropy', optimizer, epochs, batchSize, seed,
    metrics: ['accuracy', 'f1'], earlyStopping: { patience: num(a, 'patience', 3) },
    onStepEnd: ({ epoch, step }) => {
      const now = performance.now();
      if (process.stderr.isTTY && now - lastDraw > 200) {
        lastDraw = now;
        process.stderr.write(`\repoch ${epoch}/${epochs} ${bar(step / stepsPerEpoch)} ${step}/${stepsPerEpoch}`);
      }
    },
    onEpochEnd: async (r) => {
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
      console.log(`epoch ${r.epoch}/${epochs} ${bar(1)} loss ${r.trainLoss.toFixed(4)} acc ${r.trainAccuracy?.toFixed(4) ?? '-'} ` +
        `val_loss ${r.valLoss?.toFixed(4) ?? '-'} val_acc ${r.valAccuracy?.toFixed(4) ?? '-'} lr ${r.lr.toPrecision(3)} ` +
        `${Math.round(r.samplesPerSecond)} samples/s`);
      appendFileSync(metricsPath, `${JSON.stringify(r)}\n`);
      // The last good checkpoint, written atomically after every epoch.
      await sg.io.saveCheckpoint(ckpt, { tensors: model.stateDict(), metadata: { config, epoch: r.epoch, record: r } });
    },
  });
  const test = await sg.train.evaluate(model, testSet, { loss: 'crossEntropy', batchSize: 256 });
  console.log(`test: loss ${test.loss?.toFixed(4)} accuracy ${test.accuracy?.toFixed(4)} macro-F1 ${test.f1?.toFixed(4)}` +
    (history.stoppedEarly ? ` (stopped early; best epoch ${history.bestEpoch})` : ''));
  await sg.io.saveCheckpoint(ckpt, { tensors: model.stateDict(), metadata: { config, test, epochs: history.epochs.length } });
  appendFileSync(metricsPath, `${JSON.stringify({ test: { loss: test.loss, accuracy: test.accuracy, f1: test.f1 } })}\n`);
  const profile = await profileStep(model, inputShape, batchSize);
  writeFileSync(join(out, 'report.html'), renderReport({
    title: `shadergrad: ${modelName} on ${datasetName}`, config, epochs: history.epochs, test, profile,
    adapter: `${info.vendor} ${info.architecture} ${info.description}`.trim(), warnings: history.warnings,
  }));
  console.log(`wrote ${metricsPath}, ${ckpt}, ${join(out, 'report.html')}`);
  sg.dispose();
}

/** Compile one training step of `model` on random data and time its dispatches. */
async function profileStep(model: sg.nn.Module, inputShape: number[], batch: number): Promise<sg.ProfileReport> {
  const opt = sg.optim.sgd(model.parameters(), { lr: 0 });
  const plan = await sg.compile((x, y) => sg.crossEntropy(model.forward(x), y), {
    inputs: [{ shape: [batch, ...inputShape] }, { shape: [batch], dtype: 'i32' }], params: model.parameters(), optimizer: opt,
  });
  plan.run(new Float32Array(batch * inputShape.reduce((p, d) => p * d, 1)).fill(0.1), new Int32Array(batch));
  const report = await plan.profile(3);
  plan.dispose();
  return report;
}

async function explain(a: Args): Promise<void> {
  const modelName = str(a, 'model', 'cnn') as ModelName;
  const batch = num(a, 'batch-size', 64);
  await sg.init();
  const inputShape = modelName === 'cnn' || modelName === 'mlp' ? [1, 28, 28] : [2];
  const model = buildModel(modelName, inputShape, 10);
  const opt = sg.optim.adam(model.parameters(), { lr: 1e-3 });
  const plan = await sg.compile((x, y) => sg.crossEntropy(model.forward(x), y), {
    inputs: [{ shape: [batch, ...inputShape], name: 'images' }, { shape: [batch], dtype: 'i32', name: 'labels' }],
    params: model.parameters(), optimizer: opt, label: `${modelName} training step`,
  });
  plan.run(new Float32Array(batch * inputShape.reduce((p, d) => p * d, 1)).fill(0.1), new Int32Array(batch));
  if (a.profile) {
    const r = await plan.profile(3);
    console.log(plan.explainTable());
    console.log(`\n${r.table}`);
  } else console.log(plan.explainTable());
  plan.dispose();
  sg.dispose();
}

async function search(a: Args): Promise<void> {
  const modelName = str(a, 'model', 'mlp') as ModelName;
  const datasetName = str(a, 'dataset', 'spiral');
  const out = str(a, 'out', 'runs/search');
  const epochs = num(a, 'epochs', 5);
  await sg.init();
  const { train: data, numClasses, inputShape } = await loadDataset(datasetName, { count: num(a, 'count', 2000), seed: 1 });
  mkdirSync(out, { recursive: true });
  const results = await sg.search.run({
    mode: str(a, 'mode', 'random') as 'grid' | 'random', trials: num(a, 'trials', 6), seed: num(a, 'seed', 1),
    space: { lr: [1e-3, 3e-3, 1e-2, 3e-2], batchSize: [32, 64], optimizer: ['adam', 'sgd'] },
    record: join(out, 'trials.jsonl'),
    trial: async (cfg, seed) => {
      sg.nn.manualSeed(seed);
      const model = buildModel(modelName, inputShape, numClasses);
      const optimizer = makeOptimizer(String(cfg.optimizer), model.parameters(), { lr: Number(cfg.lr) });
      const h = await sg.train.fit(model, { data, validationSplit: 0.2, loss: 'crossEntropy', optimizer, epochs, batchSize: Number(cfg.batchSize), seed });
      const last = h.epochs[h.epochs.length - 1];
      return { valLoss: last.valLoss ?? NaN, valAccuracy: last.valAccuracy ?? NaN };
    },
    objective: 'valAccuracy', direction: 'max',
  });
  console.log(results.table);
  sg.dispose();
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const cmd = a._[0] ?? 'help';
  if (cmd === 'train') await train(a);
  else if (cmd === 'explain') await explain(a);
  else if (cmd === 'search') await search(a);
  else {
    console.log(HELP);
    if (cmd !== 'help' && !a.help) process.exitCode = 2;
  }
}

main().then(() => process.exit(process.exitCode ?? 0), (e) => {
  console.error(e instanceof Error ? e.message : e);
  try {
    sg.dispose();
  } finally {
    process.exit(1);
  }
});
