// `shadergrad train --model clip --dataset mnist`: CLIP-style contrastive training of an image
// encoder (the CLI's CNN without its head) and a text encoder (a 2-layer causal transformer over
// word prompts) on digits paired with captions, then zero-shot classification and retrieval.
//
// Data: --count digits, 10 % held out for the test (stratified, as the other models), 10 % of the
// rest for the per-epoch validation. Each training digit is paired, every time it is drawn, with one
// of its class's prompts at random (seeded): "a handwritten seven", "a photo of the digit 7", ...
// (sg.models.DIGIT_TEMPLATES).
//
// False negatives: a batch larger than the 10 classes always repeats a class, and CLIP's diagonal
// targets would push a "seven" image away from another seven's caption. The loss uses label-aware
// targets instead (sg.models.clipTargets: each row spreads over the pairs of its class), so
// same-class pairs are positives in both directions.
//
// Zero-shot: each class's prompts are embedded and averaged (renormalised); an image's class is the
// nearest. Retrieval on the test digits: image → text, each digit ranks the 10 classes
// (sg.metrics.recallAtK / mrr / ndcg; recall@1 is the zero-shot accuracy), and text → image, each
// class's text embedding ranks the digits, every digit of the class relevant (precision@k, MRR of the
// first one, sg.metrics.ndcg@10). The run also reports its training cost (sg.train.trainingCost).

import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sg from '../index.js';
import { loadDataset, makeOptimizer, makeScheduler } from './setup.js';
import { renderReport } from './report.js';
import type { RunConfig } from './setup.js';

const CLASSES = 10;

export interface ClipEvaluation {
  /** Zero-shot accuracy (= imageToText.recallAtK[1] without ties). */
  accuracy: number;
  f1: number;
  confusion: number[][];
  /** Each digit ranks the 10 classes (one relevant: its own): sg.metrics.recallAtK, mrr, ndcg. */
  imageToText: { recallAtK: Record<number, number>; mrr: number; ndcg: number };
  /**
   * Each class's text embedding ranks the digits (relevant: every digit of that class): precision@k
   * (the share of the top k that show the class), MRR of the first relevant digit, sg.metrics.ndcg@10.
   */
  textToImage: { precisionAtK: Record<number, number>; mrr: number; ndcg: number };
}

/**
 * Zero-shot classification and retrieval metrics from the similarity scores [N · C] (row-major
 * [N, C]) of N images with C class embeddings, and the images' labels.
 */
export function evaluateScores(scores: Float32Array, labels: ArrayLike<number>, C: number): ClipEvaluation {
  const N = labels.length;
  const pred = sg.models.argmaxRows(scores, C);
  const cm = sg.metrics.confusionMatrix(pred, labels, C);
  const perImage = { values: scores, shape: [N, C] as const };
  const own = { values: Float32Array.from({ length: N * C }, (_, q) => (labels[Math.floor(q / C)] === q % C ? 1 : 0)), shape: [N, C] as const };
  // The transposed view: class queries × image candidates.
  const perClass = { values: Float32Array.from({ length: C * N }, (_, q) => scores[(q % N) * C + Math.floor(q / N)]), shape: [C, N] as const };
  const members = { values: Float32Array.from({ length: C * N }, (_, q) => (labels[q % N] === Math.floor(q / N) ? 1 : 0)), shape: [C, N] as const };
  const precisionAtK: Record<number, number> = {};
  let mrr = 0;
  for (let c = 0; c < C; c++) {
    const row = perClass.values.subarray(c * N, (c + 1) * N);
    const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
    for (const k of [1, 10, 50].filter((kk) => kk <= N)) precisionAtK[k] = (precisionAtK[k] ?? 0) + order.slice(0, k).filter((i) => labels[i] === c).length / k / C;
    const first = order.findIndex((i) => labels[i] === c);
    if (first >= 0) mrr += 1 / (first + 1) / C;
  }
  return {
    accuracy: sg.metrics.accuracy(cm), f1: sg.metrics.f1(cm), confusion: cm,
    imageToText: {
      recallAtK: Object.fromEntries([1, 3, 5].filter((k) => k <= C).map((k) => [k, sg.metrics.recallAtK(perImage, labels, k)])),
      mrr: sg.metrics.mrr(perImage, labels), ndcg: sg.metrics.ndcg(perImage, own),
    },
    textToImage: { precisionAtK, mrr, ndcg: sg.metrics.ndcg(perClass, members, Math.min(10, N)) },
  };
}

// ---- training ------------------------------------------------------------------------------------

const fmtRetrieval = (m: { recallAtK?: Record<number, number>; precisionAtK?: Record<number, number>; mrr: number; ndcg: number }) => [
  ...Object.entries(m.recallAtK ?? {}).map(([k, v]) => `R@${k} ${v.toFixed(3)}`), ...Object.entries(m.precisionAtK ?? {}).map(([k, v]) => `P@${k} ${v.toFixed(3)}`),
  `MRR ${m.mrr.toFixed(3)}`, `nDCG${m.precisionAtK ? '@10' : ''} ${m.ndcg.toFixed(3)}`,
].join(' ');

export async function trainClip(config: RunConfig, out: string): Promise<void> {
  const { epochs, batchSize: B, seed } = config;
  const t0 = performance.now();
  const info = await sg.init();
  sg.nn.manualSeed(seed);
  if (config.dataset !== 'mnist') throw new Error(`shadergrad train: --model clip trains on --dataset mnist, not ${config.dataset}`);
  const { train: all, test } = await loadDataset('mnist', { count: config.count, seed });
  const { train, val } = sg.data.trainValTestSplit(all, { val: 0.1, seed, stratify: true });
  const steps = Math.floor(train.length / B);
  if (steps < 1) throw new Error(`shadergrad train: ${train.length} training digits, fewer than one batch of ${B}; raise --count or lower --batch-size`);

  // Prompts: every template of every class, one tokenizer over them all.
  const prompts = sg.models.digitPrompts();
  const P = prompts[0].length;
  const tokenizer = sg.models.wordTokenizer(prompts.flat());
  const L = tokenizer.contextLength;
  const classIds = sg.tensor(tokenizer.encodeAll(prompts.flat()), [CLASSES, P, L], { dtype: 'i32' });

  const model = await sg.models.clip({ vocab: tokenizer.size, contextLength: L, seed });
  const scheduler = makeScheduler(config.scheduler, epochs);
  const optimizer = makeOptimizer(config.optimizer, model.parameters(), { lr: config.lr, weightDecay: config.weightDecay, scheduler });
  const images = (ds: sg.data.Dataset) => sg.tensor(ds.x, [ds.length, ...ds.xShape]);
  const trainX = images(train); // resident: a step uploads only indices, prompt ids and targets
  const valX = images(val);
  const testX = images(test);
  // The text side of a step: the batch's B captions, or, once B reaches the number of distinct
  // prompts (P·10), those prompts encoded once and each pair's row gathered — the same loss, with the
  // text encoder's work capped at P·10 texts.
  const promptIds = tokenizer.encodeAll(prompts.flat()); // [P·10, L], class-major
  const shared = B >= CLASSES * P;
  const allIds = sg.tensor(promptIds, [CLASSES * P, L], { dtype: 'i32' });
  const plan = await sg.compile((idx, text, targets) => sg.models.clipLoss(
    model.encodeImage(sg.indexSelect(trainX, 0, idx)),
    shared ? sg.indexSelect(model.encodeText(allIds), 0, text) : model.encodeText(text),
    model.logitScale(), { targets },
  ), {
    inputs: [
      { shape: [B], dtype: 'i32', name: 'indices' },
      shared ? { shape: [B], dtype: 'i32', name: 'prompt indices' } : { shape: [B, L], dtype: 'i32', name: 'prompt ids' },
      { shape: [B, B], name: 'targets' },
    ],
    params: optimizer.params, optimizer, readEvery: 1, label: 'clip training step',
  });

  const flopsPerStep = sg.train.planFlops(plan);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const metricsPath = join(out, 'metrics.jsonl');
  const ckpt = join(out, 'model.safetensors');
  console.log(`shadergrad train: CLIP (CNN image encoder, ${model.config.layers}-layer text transformer width ${model.config.width}, joint space ${model.config.embedDim}) on mnist: ` +
    `${model.numParameters()} parameters · ${train.length} training / ${val.length} validation / ${test.length} test digits · ` +
    `${P} prompts per class, vocabulary ${tokenizer.size}, context ${L} · adapter ${info.vendor} ${info.description}`);
  console.log(`  e.g. ${prompts[7].slice(0, 3).map((p) => JSON.stringify(p)).join(', ')}`);

  const labels = train.y as Int32Array;
  const rng = new sg.Random(seed * 7919 + 1);
  const idx = new Int32Array(B);
  const promptIdx = new Int32Array(B);
  const batchIds = new Int32Array(B * L);
  const batchLabels = new Int32Array(B);
  const records: sg.train.EpochRecord[] = [];
  let trainSeconds = 0;
  const stepLosses: { epoch: number; loss: number }[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    optimizer.setEpoch(epoch - 1);
    const lr = optimizer.currentLr();
    const e0 = performance.now();
    const order = new sg.Random(seed * 7919 + epoch).permutation(train.length);
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      for (let b = 0; b < B; b++) {
        idx[b] = order[s * B + b];
        batchLabels[b] = labels[idx[b]];
        promptIdx[b] = batchLabels[b] * P + rng.int(P); // one of its class's prompts, at random
      }
      if (!shared) promptIdx.forEach((p, b) => batchIds.set(promptIds.subarray(p * L, (p + 1) * L), b * L));
      plan.run(idx, shared ? promptIdx : batchIds, sg.models.clipTargets(batchLabels));
      // This epoch's losses, collected every 32 steps: the read-back ring holds at most 64 in flight.
      if (s % 32 === 31 || s === steps - 1) losses.push(...(await plan.drain()).map((r) => r.values.loss[0]));
      if (process.stderr.isTTY && s % 10 === 0) process.stderr.write(`\repoch ${epoch}/${epochs} step ${s}/${steps}`);
    }
    const seconds = (performance.now() - e0) / 1000;
    trainSeconds += seconds;
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
    const valPred = await model.zeroShot(valX, classIds);
    const valAccuracy = sg.metrics.accuracy(valPred, val.y as Int32Array);
    const trainLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
    const scale = Math.exp(Math.min((await model.logitScaleParam.data())[0], sg.models.MAX_LOGIT_SCALE));
    const rec: sg.train.EpochRecord = { epoch, trainLoss, valAccuracy, lr, seconds, samplesPerSecond: (steps * B) / seconds };
    records.push(rec);
    stepLosses.push(...losses.map((loss) => ({ epoch, loss }))); // the report's per-step loss
    console.log(`epoch ${epoch}/${epochs} loss ${trainLoss.toFixed(4)} · zero-shot val acc ${valAccuracy.toFixed(4)} · logit scale ${scale.toFixed(1)} · lr ${lr.toPrecision(3)} · ${Math.round(rec.samplesPerSecond)} samples/s`);
    appendFileSync(metricsPath, `${JSON.stringify({ ...rec, logitScale: scale })}\n`);
    await sg.save(model, ckpt, { optimizer, metadata: { clip: { ...model.config, epoch }, tokenizer: tokenizer.vocab, prompts } });
  }
  plan.dispose();

  const scores = await model.zeroShotScores(testX, classIds);
  const ev = evaluateScores(scores, test.y as Int32Array, CLASSES);
  const minutes = (performance.now() - t0) / 60000;
  console.log(`test: zero-shot accuracy ${ev.accuracy.toFixed(4)} macro-F1 ${ev.f1.toFixed(4)} (${test.length} held-out digits, ${minutes.toFixed(1)} min)`);
  console.log(`  text → image (each class's prompts rank the test digits): ${fmtRetrieval(ev.textToImage)}`);
  console.log(`  image → text (each digit ranks the 10 classes): ${fmtRetrieval(ev.imageToText)}`);
  const cost = sg.train.trainingCost(flopsPerStep, steps * epochs, trainSeconds);
  console.log(`training cost: ${sg.train.formatCost(cost)}`);
  const { confusion, ...summary } = ev;
  appendFileSync(metricsPath, `${JSON.stringify({ test: summary, minutes, cost })}\n`);
  const retrieval = `<h2>Retrieval (test digits)</h2>
<p>image → text (each digit ranks the 10 classes; R@1 is the zero-shot accuracy): ${fmtRetrieval(ev.imageToText)}</p>
<p>text → image (each class's prompt embedding ranks the test digits; P@k: the share of the top k showing the class): ${fmtRetrieval(ev.textToImage)}</p>`;
  const html = renderReport({
    title: 'shadergrad: clip on mnist (zero-shot)', adapter: `${info.vendor} ${info.architecture} ${info.description}`.trim(),
    config: { ...config, train: train.length, val: val.length, test: test.length, prompts: P, vocabulary: tokenizer.size },
    epochs: records, steps: stepLosses, test: { accuracy: ev.accuracy, f1: ev.f1, confusion }, cost,
  });
  writeFileSync(join(out, 'report.html'), html.replace('</body>', `${retrieval}</body>`));
  console.log(`wrote ${metricsPath}, ${ckpt}, ${join(out, 'report.html')}`);
  for (const t of [trainX, valX, testX, classIds, allIds]) t.dispose();
  sg.dispose();
}
