// `shadergrad train --model gpt --dataset names|moby-dick`: a tiny GPT on characters. Every epoch it
// prints the training loss, the validation loss in nats/char beside the bigram baseline counted on the
// same training split (the simplest model the GPT must beat), and samples; it writes metrics.jsonl,
// model.safetensors (with the tokenizer in its metadata) and report.html, and the run's cost in FLOPs.
//
// Data: names — the first --count names of the seeded shuffle of @stdlib's first names, split by name
// (90 / 10), windows of 16 characters over the '.'-separated stream every 4 characters; moby-dick —
// the first --count × 100 characters of the book, split by position (90 / 10), windows of 64 every 16.
// Validation runs over non-overlapping windows (every character predicted once, from the context
// before it in its window).

import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sg from '../index.js';
import { makeOptimizer } from './setup.js';
import { renderReport } from './report.js';
import type { RunConfig } from './setup.js';

interface TextTask {
  tokenizer: sg.data.text.CharTokenizer;
  train: sg.data.TokenDataset;
  val: sg.data.TokenDataset;
  trainIds: Int32Array;
  valIds: Int32Array;
  blockSize: number;
  /** Token that starts a sample (names: the boundary '.'), and ends one. */
  boundary?: number;
  prompt: string;
}

async function loadText(config: RunConfig): Promise<TextTask> {
  const { seed, count } = config;
  if (config.dataset === 'names') {
    const all = await sg.data.text.firstNames({ shuffle: true, seed });
    const names = all.slice(0, Math.min(count, all.length));
    const blockSize = 16;
    const d = sg.data.text.namesDataset(names, { blockSize, seed, valFraction: 0.1 });
    // Training windows every 4 characters of the training names' stream (namesDataset's are every 1).
    const train = sg.data.text.languageModelDataset(d.trainIds, { blockSize, stride: 4, valFraction: 0, seed, vocabSize: d.tokenizer.size }).train;
    return {
      tokenizer: d.tokenizer, train, val: windowsFromStream(d.valIds, blockSize),
      trainIds: d.trainIds, valIds: d.valIds, blockSize, boundary: 0, prompt: '.',
    };
  }
  const text = (await sg.data.text.mobyDick()).slice(0, count * 100);
  const tokenizer = sg.data.text.charTokenizer(text);
  const blockSize = 64;
  const d = sg.data.text.languageModelDataset(tokenizer.encode(text), { blockSize, stride: 16, seed, valFraction: 0.1, vocabSize: tokenizer.size });
  return { tokenizer, train: d.train, val: windowsFromStream(d.valIds, blockSize), trainIds: d.trainIds, valIds: d.valIds, blockSize, prompt: 'Call me' };
}

/** Non-overlapping windows of a token stream (stride = T): every token after the first is a target once. */
const windowsFromStream = (ids: Int32Array, T: number): sg.data.TokenDataset =>
  sg.data.text.languageModelDataset(ids, { blockSize: T, stride: T, valFraction: 0, shuffle: false }).train;

const windows = (ds: sg.data.TokenDataset, T: number) => ds.x.length / T;

export async function trainGpt(config: RunConfig, out: string): Promise<void> {
  const { epochs, batchSize: B, seed } = config;
  const info = await sg.init();
  sg.nn.manualSeed(seed);
  const task = await loadText(config);
  const { tokenizer, blockSize: T } = task;
  const bigram = sg.data.text.bigramBaseline(task.trainIds, task.valIds, tokenizer.size);
  const model = await sg.models.gpt({ vocab: tokenizer.size, blockSize: T, layers: 2, heads: 4, dim: 64, dropout: 0, seed });
  const optimizer = makeOptimizer(config.optimizer, model.parameters(), { lr: config.lr, weightDecay: config.weightDecay });
  const batch = [{ shape: [B, T], dtype: 'i32' as const }, { shape: [B, T], dtype: 'i32' as const }];
  const trainPlan = await sg.compile((x, y) => model.loss(x, y), { inputs: batch, params: optimizer.params, optimizer, readEvery: 1, label: 'gpt training step' });
  model.eval();
  const evalPlan = await sg.compile((x, y) => model.loss(x, y), { inputs: batch, readEvery: 1, label: 'gpt validation step' });
  model.train();
  const flopsPerStep = sg.train.planFlops(trainPlan);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const metricsPath = join(out, 'metrics.jsonl');
  const ckpt = join(out, 'model.safetensors');
  const nTrain = windows(task.train, T);
  const steps = Math.floor(nTrain / B);
  if (steps < 1) throw new Error(`shadergrad train: ${nTrain} training windows of ${T} characters, fewer than one batch of ${B}; raise --count or lower --batch-size`);
  console.log(`shadergrad train: GPT (${model.config.layers} layers, ${model.config.heads} heads, dim ${model.config.dim}, context ${T}) on ${config.dataset}: ` +
    `${model.numParameters()} parameters · vocabulary ${tokenizer.size} · ${nTrain} training windows, ${task.valIds.length} validation characters · adapter ${info.vendor} ${info.description}`);
  console.log(`bigram baseline (counted on the training split): ${bigram.toFixed(3)} nats/char`);
  const records: sg.train.EpochRecord[] = [];
  let trainSeconds = 0;
  let valLoss = NaN;
  const xb = new Int32Array(B * T);
  const yb = new Int32Array(B * T);
  const stepLosses: { epoch: number; loss: number }[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    const order = new sg.Random(seed * 7919 + epoch).shuffle(Array.from({ length: nTrain }, (_, i) => i));
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      for (let b = 0; b < B; b++) {
        const w = order[s * B + b];
        xb.set(task.train.x.subarray(w * T, (w + 1) * T), b * T);
        yb.set((task.train.y as Int32Array).subarray(w * T, (w + 1) * T), b * T);
      }
      trainPlan.run(xb, yb);
      // Collect the losses every 32 steps: the plan's read-back ring holds at most 64 pending results.
      if (s % 32 === 31 || s === steps - 1) losses.push(...(await drain(trainPlan)));
      if (process.stderr.isTTY && s % 20 === 0) process.stderr.write(`\repoch ${epoch}/${epochs} step ${s}/${steps}`);
    }
    const seconds = (performance.now() - t0) / 1000;
    trainSeconds += seconds;
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
    valLoss = await validate(evalPlan, model, task, B);
    const trainLoss = losses.slice(-Math.max(1, Math.floor(losses.length / 10))).reduce((a, b) => a + b, 0) / Math.max(1, Math.floor(losses.length / 10));
    const rec: sg.train.EpochRecord = { epoch, trainLoss, valLoss, lr: config.lr, seconds, samplesPerSecond: (steps * B) / seconds };
    records.push(rec);
    stepLosses.push(...losses.map((loss) => ({ epoch, loss }))); // the report's per-step loss
    console.log(`epoch ${epoch}/${epochs} loss ${trainLoss.toFixed(3)} · val loss ${valLoss.toFixed(3)} nats/char (bigram ${bigram.toFixed(3)}) · ${Math.round(rec.samplesPerSecond)} windows/s`);
    console.log(`  samples: ${(await samples(model, task, epoch)).join(' · ')}`);
    appendFileSync(metricsPath, `${JSON.stringify({ ...rec, bigram })}\n`);
    await sg.save(model, ckpt, { metadata: { tokenizer: tokenizer.toJSON(), gpt: model.config, epoch, valLoss, bigram } });
  }
  const cost = sg.train.trainingCost(flopsPerStep, steps * epochs, trainSeconds);
  const verdict = valLoss < bigram ? `${(bigram - valLoss).toFixed(3)} nats/char below the bigram baseline` : 'NOT below the bigram baseline';
  console.log(`final: val loss ${valLoss.toFixed(3)} nats/char (bigram ${bigram.toFixed(3)}): ${verdict}`);
  console.log(`training cost: ${sg.train.formatCost(cost)}`);
  appendFileSync(metricsPath, `${JSON.stringify({ final: { valLoss, bigram }, cost })}\n`);
  writeFileSync(join(out, 'report.html'), renderReport({
    title: `shadergrad: gpt on ${config.dataset}`, config: { ...config, bigram, vocabulary: tokenizer.size, blockSize: T }, epochs: records, steps: stepLosses,
    test: { loss: valLoss }, cost, adapter: `${info.vendor} ${info.architecture} ${info.description}`.trim(),
  }));
  console.log(`wrote ${metricsPath}, ${ckpt}, ${join(out, 'report.html')}`);
  trainPlan.dispose();
  evalPlan.dispose();
  sg.dispose();
}

/** The losses of the plan's runs since the last drain. */
const drain = async (plan: sg.Plan): Promise<number[]> => (await plan.drain()).map((r) => r.values.loss[0]);

/** Mean loss per character over the validation windows (full batches by the eval plan, the rest eagerly). */
async function validate(evalPlan: sg.Plan, model: sg.models.GPT, task: TextTask, B: number): Promise<number> {
  const T = task.blockSize;
  const n = windows(task.val, T);
  const full = Math.floor(n / B);
  let total = 0;
  for (let s = 0; s < full; s++) {
    evalPlan.run(task.val.x.subarray(s * B * T, (s + 1) * B * T), (task.val.y as Int32Array).subarray(s * B * T, (s + 1) * B * T));
    if (s % 32 === 31 || s === full - 1) total += (await drain(evalPlan)).reduce((a, l) => a + l * B, 0);
  }
  const rest = n - full * B;
  if (rest > 0) {
    model.eval();
    const l = sg.tidy(() => model.loss(
      sg.tensor(task.val.x.subarray(full * B * T), [rest, T], { dtype: 'i32' }),
      sg.tensor((task.val.y as Int32Array).subarray(full * B * T), [rest, T], { dtype: 'i32' }),
    ));
    total += (await l.item()) * rest;
    l.dispose();
    model.train();
  }
  return total / n;
}

/** Five names (names) or one passage (the book), sampled at temperature 0.8. */
async function samples(model: sg.models.GPT, task: TextTask, epoch: number): Promise<string[]> {
  const tok = task.tokenizer;
  if (task.boundary !== undefined) {
    const out: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ids = await model.generate([task.boundary], { maxTokens: 24, temperature: 0.8, seed: epoch * 100 + i, stopToken: task.boundary });
      out.push(tok.decode(ids).replace(/\./g, ''));
    }
    return out;
  }
  const ids = await model.generate(tok.encode(task.prompt), { maxTokens: 120, temperature: 0.8, seed: epoch });
  return [JSON.stringify(tok.decode(ids))];
}
