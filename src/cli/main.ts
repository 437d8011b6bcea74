#!/usr/bin/env node
// The `shadergrad` command: train, explain, search, curve, evaluate, prune, export. `shadergrad --help` lists them,
// `shadergrad <command> --help` their flags (the tables are in args.ts).
//
// Exit codes: 0 done (or help / version printed), 1 the run failed, 2 a bad command line (unknown
// flag, a flag without its value, a value out of range, a run directory that already holds a run).

import { appendFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sg from '../index.js';
import { renderReport } from './report.js';
import { buildModel, loadDataset, makeOptimizer, makeScheduler, type ModelName, type RunConfig } from './setup.js';
import { readTrainedRun } from './runs.js';
import { trainGpt } from './lm.js';
import { trainClip } from './clip.js';
import { learningCurve } from './curve.js';
import { pruneRun } from './prune.js';
import { evaluateRun } from './evaluate.js';
import { trainEnsemble } from './ensemble.js';
import { COMMANDS, GENERAL_HELP, UsageError, commandHelp, parseCommand, type Command, type Flags } from './args.js';
import { suggestName } from '../util/options.js';

function bar(frac: number, width = 24): string {
  const n = Math.round(Math.min(1, Math.max(0, frac)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

/** The package version, from the package.json above this file (src/cli or dist/src/cli). */
export function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'shadergrad' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

// ---- train ---------------------------------------------------------------------------------------


const RUN_FILES = ['config.json', 'metrics.jsonl', 'model.safetensors', 'report.html'];
const holdsRun = (dir: string) => RUN_FILES.some((f) => existsSync(join(dir, f)));

/** A run directory's config.json and the epochs its checkpoint completed (fit's position). */
async function readRun(dir: string): Promise<{ config: RunConfig; done: number; stoppedEarly: boolean }> {
  const where = `shadergrad train: --resume ${dir}`;
  const ckpt = join(dir, 'model.safetensors');
  const configPath = join(dir, 'config.json');
  if (!existsSync(dir)) throw new UsageError(`${where}: ${dir} does not exist; nothing to resume`, 'train');
  if (!existsSync(configPath) || !existsSync(ckpt)) {
    throw new UsageError(`${where}: ${dir} has no ${existsSync(configPath) ? 'checkpoint (model.safetensors): it stopped before its first epoch ended' : 'config.json: it was not written by shadergrad train'}; start it again with --out`, 'train');
  }
  let config: Partial<RunConfig>;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as Partial<RunConfig>;
  } catch (e) {
    throw new UsageError(`${where}: ${configPath} is not valid JSON (${(e as Error).message})`, 'train');
  }
  const required: (keyof RunConfig)[] = ['model', 'dataset', 'epochs', 'batchSize', 'lr', 'optimizer', 'scheduler', 'weightDecay', 'seed', 'count', 'patience'];
  const missing = required.filter((k) => config[k] === undefined);
  if (missing.length) throw new UsageError(`${where}: ${configPath} lacks ${missing.join(', ')}`, 'train');
  if (config.model === 'gpt' || config.model === 'clip') {
    throw new UsageError(`${where}: a ${config.model} run starts anew (--resume continues the classification models: mlp, cnn, vit)`, 'train');
  }
  const { metadata } = await sg.io.loadCheckpoint(ckpt);
  const position = metadata.fit as { epoch?: unknown; stoppedEarly?: unknown } | undefined;
  if (typeof position?.epoch !== 'number') throw new UsageError(`${where}: ${ckpt} holds no training position (it was not written by shadergrad train)`, 'train');
  return { config: config as RunConfig, done: position.epoch, stoppedEarly: position.stoppedEarly === true };
}

async function train(f: Flags<'train'>, given: Set<string>): Promise<void> {
  let config: RunConfig;
  let done = 0;
  let out: string;
  if (f.resume !== undefined) {
    const extra = [...given].filter((k) => k !== 'resume' && k !== 'epochs');
    if (extra.length) {
      throw new UsageError(`shadergrad train: --resume continues the run with its saved settings; only --epochs (a new total) may be given with it, not --${extra.join(', --')}`, 'train');
    }
    out = f.resume;
    const run = await readRun(out);
    ({ config, done } = run);
    if (given.has('epochs')) config.epochs = f.epochs;
    if (run.stoppedEarly) throw new UsageError(`shadergrad train: the run in ${out} stopped early at epoch ${done} (no better validation loss for ${config.patience} epochs); nothing to resume`, 'train');
    if (done >= config.epochs) {
      throw new UsageError(`shadergrad train: the run in ${out} has already trained ${done} of ${config.epochs} epochs; pass --epochs N with N > ${done} to train it further`, 'train');
    }
  } else {
    out = f.out;
    if (holdsRun(out)) {
      throw new UsageError(`shadergrad train: ${out} already holds a run (${RUN_FILES.filter((x) => existsSync(join(out, x))).join(', ')}); ` +
        `continue it with --resume ${out}, or choose a new directory with --out DIR`, 'train');
    }
    config = {
      model: f.model as RunConfig['model'], dataset: f.dataset, epochs: f.epochs, batchSize: f.batchSize, lr: f.lr, optimizer: f.optimizer,
      scheduler: f.scheduler, weightDecay: f.weightDecay, seed: f.seed, count: f.count, patience: f.patience,
      precision: f.precision as RunConfig['precision'],
    };
    if (f.teacher !== undefined) Object.assign(config, { teacher: f.teacher, temperature: f.temperature, alpha: f.alpha });
    else if (given.has('temperature') || given.has('alpha')) throw new UsageError('shadergrad train: --temperature and --alpha are for distillation: give --teacher DIR', 'train');
    if (f.alpha > 1) throw new UsageError(`shadergrad train: --alpha must be in [0, 1], got ${f.alpha}`, 'train');
  }
  if (config.model === 'gpt' || config.model === 'clip') {
    if (f.ensemble > 1 || config.teacher !== undefined) throw new UsageError(`shadergrad train: --ensemble and --teacher train the classification models (cnn, mlp, vit), not ${config.model}`, 'train');
    if (config.precision === 'mixed') throw new UsageError(`shadergrad train: --precision mixed trains the classification models (cnn, mlp, vit), not ${config.model}`, 'train');
    const text = config.dataset === 'names' || config.dataset === 'moby-dick';
    if (config.model === 'gpt' && !text) throw new UsageError(`shadergrad train: --model gpt trains on text: --dataset names or moby-dick, not ${config.dataset}`, 'train');
    if (config.model === 'clip' && config.dataset !== 'mnist') throw new UsageError(`shadergrad train: --model clip pairs digits with captions: --dataset mnist, not ${config.dataset}`, 'train');
    return config.model === 'gpt' ? trainGpt(config, out) : trainClip(config, out);
  }
  if (config.dataset === 'names' || config.dataset === 'moby-dick') {
    throw new UsageError(`shadergrad train: --dataset ${config.dataset} is text: train it with --model gpt`, 'train');
  }
  if (f.resume === undefined && f.ensemble > 1) {
    if (f.teacher !== undefined) throw new UsageError('shadergrad train: --ensemble trains its members without a teacher; drop --teacher or --ensemble', 'train');
    return trainEnsemble({ ...config, ensemble: f.ensemble }, out);
  }
  const { epochs, batchSize, seed } = config;
  const info = await sg.init();
  sg.nn.manualSeed(seed);
  const { train: trainSet, test: testSet, numClasses, inputShape } = await loadDataset(config.dataset, { count: config.count, seed });
  const teacher = config.teacher !== undefined ? await loadTeacher(config) : undefined;
  const model = buildModel(config.model, inputShape, numClasses);
  const scheduler = makeScheduler(config.scheduler, epochs);
  const optimizer = makeOptimizer(config.optimizer, model.parameters(), { lr: config.lr, weightDecay: config.weightDecay, scheduler });
  mkdirSync(out, { recursive: true });
  const metricsPath = join(out, 'metrics.jsonl');
  const ckpt = join(out, 'model.safetensors');
  writeFileSync(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  if (done > 0) {
    keepMetricsUpTo(metricsPath, done);
    console.log(`shadergrad train: resuming ${out} after epoch ${done} of ${epochs}`);
  }
  console.log(`shadergrad train: ${model.toString()}\n  ${model.numParameters()} parameters · ${trainSet.length} training samples · adapter ${info.vendor} ${info.description}`);
  const stepsPerEpoch = Math.ceil(trainSet.length * 0.9 / batchSize);
  let lastDraw = 0;
  const history = await sg.train.fit(model, {
    data: trainSet, validationSplit: 0.1, loss: teacher ? distillation(teacher.model, config) : 'crossEntropy', optimizer, epochs, batchSize, seed,
    metrics: ['accuracy', 'f1'], earlyStopping: { patience: config.patience }, precision: config.precision ?? 'f32',
    // After every epoch, atomically: the model, the optimizer's state and fit's position; --resume continues from it.
    checkpoint: ckpt, resumeFrom: done > 0 ? ckpt : undefined,
    onStepEnd: ({ epoch, step }) => {
      const now = performance.now();
      if (process.stderr.isTTY && now - lastDraw > 200) {
        lastDraw = now;
        process.stderr.write(`\repoch ${epoch}/${epochs} ${bar(step / stepsPerEpoch)} ${step}/${stepsPerEpoch}`);
      }
    },
    onEpochEnd: (r) => {
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
      console.log(`epoch ${r.epoch}/${epochs} ${bar(1)} loss ${r.trainLoss.toFixed(4)} acc ${r.trainAccuracy?.toFixed(4) ?? '-'} ` +
        `val_loss ${r.valLoss?.toFixed(4) ?? '-'} val_acc ${r.valAccuracy?.toFixed(4) ?? '-'} lr ${r.lr.toPrecision(3)} ` +
        `${Math.round(r.samplesPerSecond)} samples/s`);
      appendFileSync(metricsPath, `${JSON.stringify(r)}\n`);
    },
  });
  const test = await sg.train.evaluate(model, testSet, { loss: 'crossEntropy', batchSize: 256 });
  console.log(`test: loss ${test.loss?.toFixed(4)} accuracy ${test.accuracy?.toFixed(4)} macro-F1 ${test.f1?.toFixed(4)}` +
    (test.rocAuc !== undefined ? ` ROC-AUC ${test.rocAuc.toFixed(4)} AP ${test.averagePrecision!.toFixed(4)}` : '') +
    (history.stoppedEarly ? ` (stopped early; best epoch ${history.bestEpoch})` : ''));
  appendFileSync(metricsPath, `${JSON.stringify({ test: { loss: test.loss, accuracy: test.accuracy, f1: test.f1, rocAuc: test.rocAuc, averagePrecision: test.averagePrecision } })}\n`);
  if (teacher) await compareWithoutTeacher(config, history.epochs.length, { trainSet, testSet, numClasses, inputShape }, test.accuracy ?? NaN, teacher, metricsPath);
  const { report: profile, flops } = await profileStep(model, inputShape, batchSize, config);
  // The epochs trained by this process (a resumed run's earlier ones ran elsewhere): steps from samples/s × s.
  const trained = history.epochs.filter((e) => e.epoch > done);
  const steps = trained.reduce((n, e) => n + Math.round((e.samplesPerSecond * e.seconds) / batchSize), 0);
  const cost = sg.train.trainingCost(flops, steps, trained.reduce((t, e) => t + e.seconds, 0));
  console.log(`training cost: ${sg.train.formatCost(cost)}`);
  appendFileSync(metricsPath, `${JSON.stringify({ cost })}\n`);
  writeFileSync(join(out, 'report.html'), renderReport({
    title: `shadergrad: ${config.model} on ${config.dataset}`, config: { ...config, train: trainSet.length, test: testSet.length }, epochs: history.epochs, steps: history.steps, test, profile, cost,
    adapter: `${info.vendor} ${info.architecture} ${info.description}`.trim(), warnings: history.warnings,
  }));
  if (history.scaler) {
    console.log(`loss scale ${history.scaler.scale} · ${history.scaler.skippedSteps} steps skipped on overflow`);
    appendFileSync(metricsPath, `${JSON.stringify({ scaler: history.scaler })}\n`);
  }
  console.log(`wrote ${metricsPath}, ${ckpt}, ${join(out, 'report.html')}`);
  sg.dispose();
}

/** The teacher of a distillation run: its model with the weights of its run, in eval mode, and its test accuracy. */
async function loadTeacher(config: RunConfig): Promise<{ model: sg.nn.Module; accuracy: number; name: string }> {
  const dir = config.teacher!;
  const where = `shadergrad train: --teacher ${dir}`;
  const { config: t, ckpt } = readTrainedRun('train', dir, '--teacher');
  // The same data split: the teacher never saw the student's test digits.
  for (const k of ['dataset', 'count', 'seed'] as const) {
    if (t[k] !== config[k]) throw new UsageError(`${where} was trained with --${k} ${t[k]}, this run has --${k} ${config[k]}: teacher and student must share the dataset, --count and --seed (the same test split)`, 'train');
  }
  const { test, numClasses, inputShape } = await loadDataset(config.dataset, { count: config.count, seed: config.seed });
  const model = buildModel(t.model, inputShape, numClasses);
  await sg.load(model, ckpt);
  model.eval();
  const accuracy = (await sg.train.evaluate(model, test, { batchSize: 256 })).accuracy ?? NaN;
  return { model, accuracy, name: t.model };
}

/** The distillation loss of a student against `teacher` run on the same (augmented) batch. */
function distillation(teacher: sg.nn.Module, config: RunConfig): sg.train.LossFunction {
  return (out, labels, x) => sg.train.distillationLoss(out, teacher.forward(x), labels, { temperature: config.temperature, alpha: config.alpha });
}

/**
 * The same student trained without the teacher (cross-entropy only) from the same initialisation for
 * the same epochs (so the same steps), and both test accuracies reported and recorded.
 */
async function compareWithoutTeacher(config: RunConfig, epochs: number, data: { trainSet: sg.data.Dataset; testSet: sg.data.Dataset; numClasses: number; inputShape: number[] },
  distilled: number, teacher: { accuracy: number; name: string }, metricsPath: string): Promise<void> {
  sg.nn.manualSeed(config.seed);
  const model = buildModel(config.model as ModelName, data.inputShape, data.numClasses);
  const optimizer = makeOptimizer(config.optimizer, model.parameters(), { lr: config.lr, weightDecay: config.weightDecay, scheduler: makeScheduler(config.scheduler, config.epochs) });
  await sg.train.fit(model, {
    data: data.trainSet, validationSplit: 0.1, loss: 'crossEntropy', optimizer, epochs, batchSize: config.batchSize, seed: config.seed,
    precision: config.precision ?? 'f32',
  });
  optimizer.dispose();
  const alone = (await sg.train.evaluate(model, data.testSet, { batchSize: 256 })).accuracy ?? NaN;
  const record = { teacher: config.teacher, teacherModel: teacher.name, teacherAccuracy: teacher.accuracy, temperature: config.temperature, alpha: config.alpha, epochs, studentAccuracy: distilled, withoutTeacherAccuracy: alone };
  appendFileSync(metricsPath, `${JSON.stringify({ distillation: record })}\n`);
  console.log(`distillation: ${config.model} student ${distilled.toFixed(4)} with the ${teacher.name} teacher (test accuracy ${teacher.accuracy.toFixed(4)}, T ${config.temperature}, α ${config.alpha}) ` +
    `vs ${alone.toFixed(4)} trained alone for the same ${epochs} epoch(s)`);
}

/**
 * Drop the epoch lines of metrics.jsonl after epoch `done` (an epoch whose checkpoint was never
 * written: the run was killed in between), so the resumed epochs follow on. Everything else is kept.
 */
function keepMetricsUpTo(path: string, done: number): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  const kept = lines.filter((line) => {
    try {
      const rec = JSON.parse(line) as { epoch?: unknown };
      return !(typeof rec.epoch === 'number' && rec.epoch > done);
    } catch {
      return false; // a line cut short by a killed write
    }
  });
  if (kept.length !== lines.length) writeFileSync(path, kept.map((l) => `${l}\n`).join(''));
}

/**
 * Compile one training step of `model` on random data and time its dispatches; also its FLOPs. The
 * step's optimizer is a fresh one of the run's kind and settings (so the table shows the run's own
 * update kernel, adam_update for Adam) with lr 0, so the weights are untouched.
 */
async function profileStep(model: sg.nn.Module, inputShape: number[], batch: number, config: RunConfig): Promise<{ report: sg.ProfileReport; flops: number }> {
  const opt = makeOptimizer(config.optimizer, model.parameters(), { lr: 0, weightDecay: config.weightDecay });
  const plan = await sg.compile((x, y) => sg.crossEntropy(model.forward(x), y), {
    inputs: [{ shape: [batch, ...inputShape] }, { shape: [batch], dtype: 'i32' }], params: model.parameters(), optimizer: opt,
  });
  plan.run(new Float32Array(batch * inputShape.reduce((p, d) => p * d, 1)).fill(0.1), new Int32Array(batch));
  const report = await plan.profile(3);
  const flops = sg.train.planFlops(plan);
  plan.dispose();
  return { report, flops };
}

// ---- explain, search, export ---------------------------------------------------------------------

async function explain(f: Flags<'explain'>): Promise<void> {
  const modelName = f.model as ModelName;
  const batch = f.batchSize;
  await sg.init();
  const inputShape = [1, 28, 28];
  const model = buildModel(modelName, inputShape, 10);
  const opt = sg.optim.adam(model.parameters(), { lr: 1e-3 });
  const plan = await sg.compile((x, y) => sg.crossEntropy(model.forward(x), y), {
    inputs: [{ shape: [batch, ...inputShape], name: 'images' }, { shape: [batch], dtype: 'i32', name: 'labels' }],
    params: model.parameters(), optimizer: opt, label: `${modelName} training step`, precision: f.precision as sg.Precision,
  });
  plan.run(new Float32Array(batch * inputShape.reduce((p, d) => p * d, 1)).fill(0.1), new Int32Array(batch));
  if (f.profile) {
    const r = await plan.profile(3);
    console.log(plan.explainTable());
    console.log(`\n${r.table}`);
  } else console.log(plan.explainTable());
  plan.dispose();
  sg.dispose();
}

async function search(f: Flags<'search'>): Promise<void> {
  const modelName = f.model as ModelName;
  const { epochs, trials, out } = f;
  await sg.init();
  const { train: data, numClasses, inputShape } = await loadDataset(f.dataset, { count: f.count, seed: 1 });
  mkdirSync(out, { recursive: true });
  const total = f.mode === 'grid' ? Math.min(trials, 4 * 2 * 2) : trials;
  const results = await sg.search.run({
    mode: f.mode as 'grid' | 'random', trials, seed: f.seed,
    space: { lr: [1e-3, 3e-3, 1e-2, 3e-2], batchSize: [32, 64], optimizer: ['adam', 'sgd'] },
    record: join(out, 'trials.jsonl'),
    // Each trial as it finishes (a search can take minutes).
    onTrial: (r) => {
      const cfg = Object.entries(r.config).map(([k, v]) => `${k}=${v}`).join(' ');
      const metrics = r.error ? `failed: ${r.error}` : Object.entries(r.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ');
      console.log(`trial ${r.trial + 1}/${total} ${cfg} → ${metrics} (${r.seconds.toFixed(1)} s)`);
    },
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

async function exportRun(f: Flags<'export'>): Promise<void> {
  if (f.pytorch === undefined) throw new UsageError('shadergrad export: --pytorch DIR is required (the directory to write model.py and model.safetensors to)', 'export');
  const ckpt = join(f.run, 'model.safetensors');
  if (!existsSync(ckpt)) throw new UsageError(`shadergrad export: ${ckpt} does not exist; give the run directory with --run DIR`, 'export');
  const configPath = join(f.run, 'config.json');
  if (!existsSync(configPath)) throw new UsageError(`shadergrad export: ${configPath} does not exist: ${f.run} was not written by shadergrad train`, 'export');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Partial<RunConfig>;
  if (!config.model || !config.dataset) throw new UsageError(`shadergrad export: ${configPath} lacks the model or the dataset`, 'export');
  if (config.model === 'gpt' || config.model === 'clip') {
    throw new UsageError(`shadergrad export: ${f.run} holds a ${config.model} run; export writes the classification models (mlp, cnn, vit) — ` +
      'load its model.safetensors with sg.load into sg.models.' + config.model + ' in JavaScript', 'export');
  }
  await sg.init();
  const { numClasses, inputShape } = await loadDataset(config.dataset, { count: Math.min(config.count ?? 100, 100), seed: config.seed ?? 1 });
  const model = buildModel(config.model, inputShape, numClasses);
  await sg.load(model, ckpt);
  const { files } = await sg.io.exportPytorch(model, f.pytorch, { overwrite: f.overwrite, metadata: { config } });
  console.log(`wrote ${files.join(', ')}`);
  sg.dispose();
}

// ---- main ----------------------------------------------------------------------------------------

/** Run the command line `argv` (without node and the script). Returns the exit code; prints errors. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && topic in COMMANDS) console.log(commandHelp(topic as Command));
    else console.log(GENERAL_HELP);
    return 0;
  }
  if (first === '--version' || first === '-v') {
    console.log(`shadergrad ${version()}`);
    return 0;
  }
  try {
    if (!(first in COMMANDS)) {
      const what = first.startsWith('-') ? `flag ${first} before the command` : `command '${first}'`;
      const { name } = first.startsWith('-') ? {} : suggestName(first, Object.keys(COMMANDS));
      throw new UsageError(`shadergrad: unknown ${what}${name ? ` (did you mean '${name}'?)` : ''}; commands: ${Object.keys(COMMANDS).join(', ')}`);
    }
    const cmd = first as Command;
    const { flags, given, help } = parseCommand(cmd, rest);
    if (help) {
      console.log(commandHelp(cmd));
      return 0;
    }
    if (cmd === 'train') await train(flags as Flags<'train'>, given);
    else if (cmd === 'explain') await explain(flags as Flags<'explain'>);
    else if (cmd === 'search') await search(flags as Flags<'search'>);
    else if (cmd === 'curve') await learningCurve(flags as Flags<'curve'>);
    else if (cmd === 'evaluate') await evaluateRun(flags as Flags<'evaluate'>);
    else if (cmd === 'prune') await pruneRun(flags as Flags<'prune'>);
    else await exportRun(flags as Flags<'export'>);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      console.error(e.command ? `run 'shadergrad ${e.command} --help' for its flags` : "run 'shadergrad --help' for the commands");
      return 2;
    }
    console.error(e instanceof Error ? e.message : String(e));
    return 1;
  } finally {
    try {
      sg.dispose();
    } catch {
      // nothing was initialised, or the device is already gone
    }
  }
}

// Run when executed as the `shadergrad` bin (or `tsx src/cli/main.ts`), not when imported by tests.
const entry = process.argv[1] ? (() => {
  try {
    return realpathSync(process.argv[1]);
  } catch {
    return process.argv[1];
  }
})() : '';
if (entry === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
