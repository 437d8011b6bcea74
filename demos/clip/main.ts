// CLIP on digits: sg.models.clip (a small CNN image encoder, a 2-layer causal transformer text encoder,
// projections into a 64-d joint space, a learned temperature) trained live in the page on MNIST digits
// paired with captions — each digit, every time it is drawn, with one of its class's 8 prompts at
// random ("a handwritten seven", "a photo of the digit 7", … sg.models.digitPrompts).
//
//   step        one compiled plan: gather the batch's digits on the GPU (they stay resident), encode
//               images and captions, sg.models.clipLoss with label-aware targets (sg.models.clipTargets:
//               a batch of 32 repeats classes, and two sevens are not a negative pair), backward, Adam.
//               The plan also returns exp(logit_scale), the temperature, for its chart.
//   chunks      a chunk of steps is submitted without waiting, then plan.flush() brings back its losses
//               (at most 32 steps: the read-back ring holds 64); the page answers clicks in between.
//   zero-shot   every evalEvery steps model.zeroShotScores embeds each class's 8 prompts (averaged,
//               renormalised) and the held-out digits; each digit's class is the nearest prompt
//               embedding → confusion matrix, accuracy, and image → text ranking metrics
//               (sg.metrics.recallAtK, mrr: each digit ranks the 10 classes).
//   retrieval   the held-out digits' embeddings are kept after each evaluation; a typed caption is
//               tokenized (whole words of the prompts' vocabulary; an unknown word is named), embedded
//               by the text encoder, and its cosine similarity with every digit ranks them.
//
// All GPU work (training chunks, evaluation, queries) goes through one queue, so a query typed during
// training is answered between two chunks.
import * as sg from 'shadergrad';
import { $, el, fail, fmt, nextChunk, numberInput, query, select, start, testMode } from '../shared/ui.js';
import { heatmap, lineChart, type Series } from '../shared/chart.js';
import { showDigit } from '../mnist/draw.js';

interface Config {
  /** MNIST digits loaded; 10 % (stratified) are held out for zero-shot evaluation and retrieval. */
  count: number;
  /** Training steps of the run (Stop ends it sooner). */
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Steps between zero-shot evaluations. */
  evalEvery: number;
}

/** A test-mode setting, from the query string when given (?test=1&steps=…&count=…&seed=…). */
const num = (name: string, fallback: number) => Number(query.get(name) ?? fallback);
// Test mode: 200 steps on 3,000 digits (2,700 to train on, 300 held out), about a minute on SwiftShader.
const DEFAULTS: Config = testMode
  ? { count: num('count', 3000), steps: num('steps', 200), batchSize: num('batch', 32), lr: num('lr', 2e-3), seed: num('seed', 1), evalEvery: num('evalEvery', 50) }
  : { count: 6000, steps: 500, batchSize: 32, lr: 2e-3, seed: 1, evalEvery: 50 };

const CLASSES = 10;
/** Digits shown for a query. */
const TOP_K = 10;
const EXAMPLES = ['a handwritten seven', 'the digit 3 written by hand', 'a photo of the digit 0', 'a blurry photo of a 4', 'the number eight'];
const INITIAL_SCALE = 1 / 0.07;

// ---- page state ----------------------------------------------------------------------------------------

interface Run {
  model: sg.models.CLIP;
  tokenizer: sg.models.WordTokenizer;
  /** The held-out digits: pixels [N·784] and labels. */
  held: sg.data.Dataset;
  /** Their L2-normalised embeddings [N · embedDim] from the last evaluation (undefined before it). */
  heldEmbeddings?: Float32Array;
  batchSize: number;
  step: number;
}

let current: Run | undefined;
let running: Promise<void> | undefined;
let stopRequested = false;

/** One queue for all GPU work of the page: f starts when everything queued before it has finished. */
let tail: Promise<unknown> = Promise.resolve();
function serial<T>(f: () => Promise<T>): Promise<T> {
  const p = tail.then(f);
  tail = p.catch(() => undefined);
  return p;
}

const chart = { loss: [] as [number, number][], scale: [] as [number, number][], accuracy: [] as [number, number][] };
/**
 * The lowest loss the label-aware targets allow, averaged over the batches so far: a row of class c
 * spreads its target over the n_c pairs of that class, so its cross-entropy is at least the target's
 * entropy ln n_c (both directions alike).
 */
const floor = { sum: 0, n: 0 };

function log(line: string): void {
  const box = $('log');
  box.textContent += `${line}\n`;
  box.scrollTop = box.scrollHeight;
}

// ---- training ------------------------------------------------------------------------------------------

async function train(cfg: Config, ui: Ui): Promise<void> {
  ui.setStat('phase', 'loading digits…');
  const ds = await sg.data.mnist({ count: cfg.count, seed: cfg.seed });
  const { train: trainSet, test: held } = sg.data.trainValTestSplit(ds, { val: 0, test: 0.1, seed: cfg.seed, stratify: true });
  const B = cfg.batchSize;
  if (trainSet.length < B) throw new Error(`${trainSet.length} training digits are fewer than one batch of ${B}`);

  // Captions: 8 templates per digit, one word tokenizer over all of them.
  const prompts = sg.models.digitPrompts(); // [10][8]
  const P = prompts[0].length;
  const tokenizer = sg.models.wordTokenizer(prompts.flat());
  const L = tokenizer.contextLength;
  const encoded = prompts.map((ps) => ps.map((p) => tokenizer.encode(p)));
  const classIds = sg.tensor(tokenizer.encodeAll(prompts.flat()), [CLASSES, P, L], { dtype: 'i32' });

  sg.manualSeed(cfg.seed);
  const model = await sg.models.clip({ vocab: tokenizer.size, contextLength: L, seed: cfg.seed });
  const opt = sg.optim.adam(model.parameters(), { lr: cfg.lr, scheduler: sg.optim.cosineAnnealing({ tMax: cfg.steps }) });
  current = { model, tokenizer, held, batchSize: B, step: 0 };
  for (const k of Object.keys(chart) as (keyof typeof chart)[]) chart[k] = [];
  Object.assign(floor, { sum: 0, n: 0 });
  ui.reset(current);
  log(`${trainSet.length} training digits, ${held.length} held out · ${P} captions per digit, e.g. ${prompts[7].slice(0, 3).map((p) => JSON.stringify(p)).join(', ')}`);
  log(`CLIP: CNN image encoder, ${model.config.layers}-layer text transformer (width ${model.config.width}, ${model.config.heads} heads), joint space ${model.config.embedDim} — ` +
    `${fmt(model.numParameters())} parameters · vocabulary of ${tokenizer.size - 2} words (+ <pad>, <eot>), ${L} tokens per caption`);

  ui.setStat('phase', 'compiling the step…');
  const t0 = performance.now();
  const trainX = sg.tensor(trainSet.x, [trainSet.length, ...trainSet.xShape]); // resident: a step uploads indices, ids, targets
  const plan = await sg.compile((idx, ids, targets) => ({
    loss: sg.models.clipLoss(model.encodeImage(sg.indexSelect(trainX, 0, idx)), model.encodeText(ids), model.logitScale(), { targets }),
    scale: sg.exp(model.logitScale()),
  }), {
    inputs: [
      { shape: [B], dtype: 'i32', name: 'digit indices' },
      { shape: [B, L], dtype: 'i32', name: 'caption ids' },
      { shape: [B, B], name: 'targets' },
    ],
    params: opt.params, optimizer: opt, readEvery: 1, label: 'clip training step',
  });
  log(`compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${plan.size} dispatches per step`);
  const heldX = sg.tensor(held.x, [held.length, ...held.xShape]);
  Object.assign(window.__demo.result, {
    batchSize: B, train: trainSet.length, heldOut: held.length, parameters: model.numParameters(), dispatches: plan.size,
    vocabulary: tokenizer.vocab.slice(2), uniform: Math.log(B), losses: [], scales: [], accuracies: [],
  });

  // Batches: the training digits in a seeded order, reshuffled every pass; each with a random caption of its class.
  const labels = trainSet.y as Int32Array;
  const rng = new sg.Random(cfg.seed * 7919 + 1);
  let order = new sg.Random(cfg.seed).permutation(trainSet.length);
  let cursor = 0;
  let pass = 0;
  const idx = new Int32Array(B);
  const batchLabels = new Int32Array(B);
  const nextBatch = (): [Int32Array, Int32Array, Float32Array] => {
    for (let b = 0; b < B; b++) {
      if (cursor === trainSet.length) {
        order = new sg.Random(cfg.seed + ++pass).permutation(trainSet.length);
        cursor = 0;
      }
      idx[b] = order[cursor++];
      batchLabels[b] = labels[idx[b]];
    }
    const perClass = new Map<number, number>();
    for (const l of batchLabels) perClass.set(l, (perClass.get(l) ?? 0) + 1);
    for (const l of batchLabels) floor.sum += Math.log(perClass.get(l)!) / B;
    floor.n++;
    return [idx, sg.models.samplePromptIds(batchLabels, encoded, rng), sg.models.clipTargets(batchLabels)];
  };

  const losses: number[] = [];
  let step = 0;
  let trainSeconds = 0;
  const flopsPerStep = sg.train.planFlops(plan);
  let evaluatedAt = 0;
  let chunk = 4;
  try {
    await serial(() => evaluate(current!, heldX, classIds, 0, ui));
    ui.setStat('phase', 'training');
    while (step < cfg.steps && !stopRequested) {
      const { n, seconds } = await serial(async () => {
        const t = performance.now();
        const n = Math.min(chunk, cfg.steps - step);
        for (let i = 0; i < n; i++) {
          opt.setEpoch(step + i); // the cosine schedule, per step
          plan.run(...nextBatch());
        }
        for (const r of await plan.drain()) {
          losses.push(r.values.loss[0]);
          chart.loss.push([r.step, r.values.loss[0]]);
          chart.scale.push([r.step, r.values.scale[0]]);
        }
        return { n, seconds: (performance.now() - t) / 1000 };
      });
      step += n;
      current.step = step;
      chunk = nextChunk(chunk, seconds);
      const recent = losses.slice(-n);
      ui.setStat('step', `${step} / ${cfg.steps}`);
      ui.setStat('loss', (recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(3));
      ui.setStat('temperature', chart.scale[chart.scale.length - 1][1].toFixed(2));
      ui.setStat('pairs/s', fmt((n * B) / seconds));
      // The course's training cost: this step's FLOPs (the kernels' cost model) × steps so far, in PFLOP/s-days.
      trainSeconds += seconds;
      const cost = sg.train.trainingCost(flopsPerStep, step, trainSeconds);
      ui.setStat('training cost', `${cost.flops.toExponential(2)} FLOPs · ${fmt(cost.flopsPerSecond)}FLOP/s · ${cost.pflopDays.toExponential(2)} PFLOP/s-days`);
      window.__demo.result.cost = cost;
      ui.drawCurves();
      if (step - evaluatedAt >= cfg.evalEvery || step === cfg.steps) {
        ui.setStat('phase', 'zero-shot evaluation…');
        await serial(() => evaluate(current!, heldX, classIds, step, ui));
        evaluatedAt = step;
        ui.setStat('phase', 'training');
      }
    }
    if (step > evaluatedAt) await serial(() => evaluate(current!, heldX, classIds, step, ui)); // stopped between two
  } finally {
    plan.dispose();
    for (const t of [trainX, heldX, classIds]) t.dispose();
  }
  ui.setStat('phase', stopRequested ? `stopped at step ${step}` : 'done');
  const acc = chart.accuracy.at(-1)?.[1];
  log(`${stopRequested ? 'stopped' : 'finished'} after ${step} steps: loss ${(losses.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, losses.length)).toFixed(3)}, ` +
    `temperature ${chart.scale.at(-1)?.[1].toFixed(2)}, zero-shot accuracy ${acc === undefined ? '–' : `${(100 * acc).toFixed(1)} %`} on ${held.length} held-out digits`);
  Object.assign(window.__demo.result, { losses, scales: chart.scale.map(([, s]) => s), accuracies: chart.accuracy, steps: step, lossFloor: floor.sum / Math.max(1, floor.n) });
}

/**
 * Zero-shot on the held-out digits: similarities to each class's averaged prompt embedding, the
 * nearest class, confusion matrix, accuracy, image → text ranking metrics; then the digits'
 * embeddings for retrieval and the current query again.
 */
async function evaluate(run: Run, heldX: sg.Tensor, classIds: sg.Tensor, step: number, ui: Ui): Promise<void> {
  const { model, held } = run;
  const N = held.length;
  const y = held.y as Int32Array;
  const scores = await model.zeroShotScores(heldX, classIds); // [N · 10], cosine similarities
  const pred = sg.models.argmaxRows(scores, CLASSES);
  const confusion = sg.metrics.confusionMatrix(pred, y, CLASSES);
  const accuracy = sg.metrics.accuracy(confusion);
  const perImage = { values: scores, shape: [N, CLASSES] as const };
  const recallAt3 = sg.metrics.recallAtK(perImage, y, 3);
  const mrr = sg.metrics.mrr(perImage, y);
  chart.accuracy.push([step, accuracy]);

  // The digits' embeddings, in eval mode (batch norm's running statistics), kept on the host.
  const was = model.training;
  model.eval();
  const emb = sg.tidy(() => model.encodeImage(heldX));
  model.train(was);
  run.heldEmbeddings = (await emb.data()) as Float32Array;
  emb.dispose();

  const counts = Array.from({ length: CLASSES }, (_, c) => y.filter((l) => l === c).length);
  window.__demo.result.zeroShot = { step, accuracy, confusion, counts, recallAt3, mrr };
  ui.showZeroShot(confusion, accuracy, recallAt3, mrr, step);
  await ui.retrieve();
}

// ---- retrieval -----------------------------------------------------------------------------------------

interface Retrieval {
  prompt: string;
  /** Held-out indices, best first, and their cosine similarity with the caption. */
  order: number[];
  scores: number[];
  /** The digit the caption names (a digit word or numeral), if exactly one. */
  target?: number;
}

/** The typed text as the tokenizer's words: lower case, punctuation dropped. */
const cleanPrompt = (text: string) => sg.models.words(text.replace(/[^\p{L}\p{N}\s]/gu, ' ')).join(' ');

/** A caption's words checked against the vocabulary: the problem in words, or undefined when it can be encoded. */
function promptProblem(tokenizer: sg.models.WordTokenizer, prompt: string): string | undefined {
  const ws = sg.models.words(prompt);
  const known = new Set(tokenizer.vocab.slice(2));
  const vocabulary = `The text encoder only knows the ${known.size} words of its training captions: ${[...known].join(', ')}.`;
  if (ws.length === 0) return `Type a caption. ${vocabulary}`;
  const unknown = [...new Set(ws.filter((w) => !known.has(w)))];
  if (unknown.length) return `Unknown word${unknown.length > 1 ? 's' : ''} ${unknown.map((w) => `'${w}'`).join(', ')}: not in the vocabulary. ${vocabulary}`;
  if (ws.length + 1 > tokenizer.contextLength) return `${ws.length} words is too long: captions have at most ${tokenizer.contextLength - 1} words (the text encoder's context is ${tokenizer.contextLength} tokens with the end-of-text token).`;
  return undefined;
}

/** The digit a caption names: digit words and numerals among its words, when they agree on one. */
function namedDigit(prompt: string): number | undefined {
  const named = new Set<number>();
  for (const w of sg.models.words(prompt)) {
    const d = (sg.models.DIGIT_WORDS as readonly string[]).indexOf(w);
    if (d >= 0) named.add(d);
    else if (/^[0-9]$/.test(w)) named.add(Number(w));
  }
  return named.size === 1 ? [...named][0] : undefined;
}

/** Embed the caption (text encoder, eval mode) and rank the held-out digits by cosine similarity. */
async function retrieve(run: Run, prompt: string): Promise<Retrieval> {
  const { model, tokenizer, held } = run;
  const ids = sg.tensor(tokenizer.encode(prompt), [1, tokenizer.contextLength], { dtype: 'i32' });
  const was = model.training;
  model.eval();
  const e = sg.tidy(() => model.encodeText(ids));
  model.train(was);
  const text = (await e.data()) as Float32Array;
  e.dispose();
  ids.dispose();
  const D = text.length;
  const images = run.heldEmbeddings!;
  const sims = Array.from({ length: held.length }, (_, i) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += images[i * D + d] * text[d];
    return s;
  });
  const order = sims.map((_, i) => i).sort((a, b) => sims[b] - sims[a] || a - b);
  return { prompt, order, scores: order.map((i) => sims[i]), target: namedDigit(prompt) };
}

// ---- the page ------------------------------------------------------------------------------------------

interface Ui {
  setStat(name: string, value: string): void;
  reset(run: Run): void;
  drawCurves(): void;
  showZeroShot(confusion: number[][], accuracy: number, recallAt3: number, mrr: number, step: number): void;
  /** Run the caption in the input box (if any) against the current model and show the top k. */
  retrieve(): Promise<void>;
}

function buildUi(): Ui {
  const countSel = select('digits', [['1500', '1,500'], ['3000', '3,000'], ['6000', '6,000'], ['10000', '10,000 (all)']], String(DEFAULTS.count));
  const steps = numberInput('steps', DEFAULTS.steps, { min: 1, step: 1 });
  const batch = select('batch size', [['16', '16'], ['32', '32'], ['64', '64']], String(DEFAULTS.batchSize));
  const lr = numberInput('learning rate (Adam, cosine)', DEFAULTS.lr, { min: 0, step: 'any' });
  const startBtn = el('button', { class: 'primary', id: 'start' }, 'Train');
  $('setup').append(el('div', { class: 'controls' }, countSel.root, steps.root, batch.root, lr.root, startBtn),
    el('p', { class: 'muted', style: 'margin: 8px 0 0' }, 'Train starts a new model; Stop keeps it, to query. 10 % of the digits are held out: the model never trains on them.'));

  const statEls = new Map<string, HTMLElement>();
  for (const name of ['phase', 'step', 'loss', 'temperature', 'zero-shot accuracy', 'R@3', 'MRR', 'pairs/s', 'parameters', 'training cost']) {
    const b = el('b', {}, '–');
    statEls.set(name, b);
    $('stats').append(el('span', {}, `${name} `, b));
  }
  const setStat = (name: string, value: string) => {
    statEls.get(name)!.textContent = value;
  };

  // Retrieval: the caption box, example buttons, the top-k digits.
  const input = $('prompt') as HTMLInputElement;
  const message = $('query-message');
  const retrieved = $('retrieved');
  for (const ex of EXAMPLES) {
    $('examples').append(el('button', { type: 'button', class: 'example', 'data-prompt': ex, onclick: () => {
      input.value = ex;
      void serial(showRetrieval).catch(fail);
    } }, ex));
  }
  const showMessage = (text: string, error = false) => {
    message.textContent = text;
    message.classList.toggle('error', error);
  };
  showMessage('Train the model first, then type a caption or pick an example.');

  const showRetrieval = async () => {
    if (!current?.heldEmbeddings) return showMessage('Train the model first (the digits are embedded after the first evaluation).');
    const prompt = cleanPrompt(input.value);
    const problem = promptProblem(current.tokenizer, prompt);
    if (problem) {
      retrieved.replaceChildren();
      showMessage(problem, true);
      window.__demo.result.queryError = { prompt: input.value, message: problem };
      return;
    }
    const r = await retrieve(current, prompt);
    const held = current.held;
    const top = r.order.slice(0, TOP_K);
    retrieved.replaceChildren(...top.map((i, rank) => {
      const c = el('canvas', { class: 'digit' });
      showDigit(c, held.x.subarray(i * 784, (i + 1) * 784) as Float32Array);
      const label = held.y[i];
      const mark = r.target === undefined ? '' : label === r.target ? 'hit' : 'miss';
      return el('figure', { class: mark, title: `held-out digit #${i}, label ${label}` }, c,
        el('figcaption', {}, el('b', {}, String(label)), ` · ${r.scores[rank].toFixed(3)}`));
    }));
    const hits = r.target === undefined ? undefined : top.filter((i) => held.y[i] === r.target).length;
    showMessage(`"${prompt}" at step ${current.step}: the ${TOP_K} nearest of ${held.length} held-out digits (label · cosine similarity)` +
      (hits === undefined ? '.' : `; ${hits} of ${TOP_K} are ${sg.models.DIGIT_WORDS[r.target!]}s (green).`));
    window.__demo.result.retrieval = { prompt, step: current.step, target: r.target, labels: top.map((i) => held.y[i]), scores: r.scores.slice(0, TOP_K), hits };
    delete window.__demo.result.queryError;
  };
  $('query-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void serial(showRetrieval).catch(fail);
  });

  const ui: Ui = {
    setStat,
    reset(run) {
      retrieved.replaceChildren();
      for (const k of ['step', 'loss', 'temperature', 'zero-shot accuracy', 'R@3', 'MRR', 'pairs/s']) setStat(k, '–');
      setStat('parameters', fmt(run.model.numParameters()));
      if (!input.value) input.value = EXAMPLES[0];
      $('vocabulary').textContent = `Vocabulary (${run.tokenizer.size - 2} words): ${run.tokenizer.vocab.slice(2).join(' ')}`;
      heatmap($('confusion') as HTMLCanvasElement, []);
      ui.drawCurves();
    },
    drawCurves() {
      const last = Math.max(1, chart.loss.at(-1)?.[0] ?? 1);
      const B = current?.batchSize ?? DEFAULTS.batchSize;
      const lossSeries: Series[] = [
        { name: 'train', color: '#2f6fdb', points: chart.loss },
        { name: `chance ln ${B} (all pairs alike)`, color: '#9aa5b1', points: [[0, Math.log(B)], [last, Math.log(B)]], dashed: true },
      ];
      if (floor.n) {
        const f = floor.sum / floor.n;
        lossSeries.push({ name: `floor ${f.toFixed(2)} (same-class pairs)`, color: '#1f9d55', points: [[0, f], [last, f]], dashed: true });
      }
      lineChart($('loss-chart') as HTMLCanvasElement, lossSeries, { xLabel: 'step', yLabel: 'loss', yMin: 0 });
      // At least ±2 around the values and the initial 14.3, so a drift of a few hundredths does not fill the chart.
      const scales = [INITIAL_SCALE, ...chart.scale.map(([, s]) => s)];
      lineChart($('scale-chart') as HTMLCanvasElement, [
        { name: 'exp(logit_scale)', color: '#8f3fb5', points: chart.scale },
        { name: 'initial 1/0.07', color: '#9aa5b1', points: [[0, INITIAL_SCALE], [last, INITIAL_SCALE]], dashed: true },
      ], { xLabel: 'step', yLabel: 'logit scale', yMin: Math.max(0, Math.min(...scales) - 2), yMax: Math.min(100, Math.max(...scales) + 2) });
      lineChart($('accuracy-chart') as HTMLCanvasElement, [
        { name: 'zero-shot accuracy', color: '#1f9d55', points: chart.accuracy },
        { name: 'chance 10 %', color: '#9aa5b1', points: [[0, 0.1], [last, 0.1]], dashed: true },
      ], { xLabel: 'step', yMin: 0, yMax: 1, markers: true });
    },
    showZeroShot(confusion, accuracy, recallAt3, mrr, step) {
      heatmap($('confusion') as HTMLCanvasElement, confusion, { rowTitle: 'true digit', colTitle: 'nearest caption class' });
      setStat('zero-shot accuracy', `${(100 * accuracy).toFixed(1)} %`);
      setStat('R@3', recallAt3.toFixed(3));
      setStat('MRR', mrr.toFixed(3));
      $('confusion-note').textContent = `${current!.held.length} held-out digits at step ${step}: true class (rows) × nearest caption class (columns)`;
      $('zero-shot-note').textContent = `Zero-shot accuracy ${(100 * accuracy).toFixed(1)} % (chance 10 %). Image → text ranking, each digit ranking the 10 classes: ` +
        `recall@3 ${recallAt3.toFixed(3)}, MRR ${mrr.toFixed(3)} (sg.metrics.recallAtK, mrr).`;
      ui.drawCurves();
    },
    retrieve: showRetrieval,
  };

  const controls = [countSel.input, steps.input, batch.input, lr.input];
  startBtn.addEventListener('click', () => {
    if (running) {
      stopRequested = true;
      startBtn.disabled = true;
      startBtn.textContent = 'Stopping…';
      return;
    }
    stopRequested = false;
    startBtn.textContent = 'Stop';
    for (const c of controls) c.disabled = true;
    running = train(config(), ui).catch(fail).finally(() => {
      running = undefined;
      startBtn.disabled = false;
      startBtn.textContent = 'Train';
      for (const c of controls) c.disabled = false;
    });
  });
  const config = (): Config => ({
    ...DEFAULTS,
    count: Number(countSel.input.value),
    steps: Math.max(1, Math.round(Number(steps.input.value))),
    batchSize: Number(batch.input.value),
    lr: Number(lr.input.value),
  });
  ui.drawCurves();
  return ui;
}

/** Test mode, after the run: an example button's retrieval, then a caption with an unknown word. */
async function selfTest(): Promise<void> {
  const example = document.querySelector<HTMLButtonElement>('button.example[data-prompt="a handwritten seven"]')!;
  example.click();
  await serial(async () => undefined);
  const input = $('prompt') as HTMLInputElement;
  input.value = 'A handwritten banana!';
  $('query-form').dispatchEvent(new Event('submit', { cancelable: true }));
  await serial(async () => undefined);
  window.__demo.result.unknown = window.__demo.result.queryError;
  // Leave the page showing the sevens.
  example.click();
  await serial(async () => undefined);
}

start('clip', async () => {
  buildUi();
  if (testMode || query.has('autostart')) ($('start') as HTMLButtonElement).click();
  if (testMode) {
    await new Promise((r) => setTimeout(r, 0));
    await running;
    if (window.__demo.status === 'error') return;
    await selfTest();
  }
});
