// Tiny GPT: a character-level language model (sg.models.gpt: 2 causal pre-norm transformer blocks,
// 4 heads, width 64, tied embedding head) trained live on first names (makemore's task) or the start of
// Moby Dick (nanoGPT's shakespeare_char idea, another book) — in a Web Worker (./train.worker.ts).
//
// The worker loads and tokenises the text, builds the model, compiles one plan (forward, cross-entropy,
// backward and AdamW in one submit per step) and runs the steps; it streams the losses (read back every
// 16 steps) and, every `evalEvery` steps, the validation loss (a second, forward-only plan over held-out
// windows) beside the bigram baseline counted on the same characters. The page's thread only draws: it
// asks the worker for samples from model.generate at the slider's temperature and the attention maps of a
// chosen text (model.attentionMaps → [heads, T, T]); the worker runs them between two training steps.
// Stop ends the run after the step in flight (proxy.stop()); the model stays, to sample from and inspect.
import * as sg from 'shadergrad';
import { $, el, fail, fmt, numberInput, query, select, start, testMode } from '../shared/ui.js';
import { fitCanvas, lineChart, type Series } from '../shared/chart.js';
import { MOBY_CHARS, type AttentionView, type Config, type Corpus, type TaskInfo } from './config.js';

const DEFAULTS: Config = testMode
  ? { corpus: query.get('corpus') === 'moby' ? 'moby' : 'names', steps: Number(query.get('steps') ?? 60), batchSize: 16, lr: 3e-3, seed: 1, evalEvery: 20, valBatches: 2, short: true }
  : { corpus: 'names', steps: 3000, batchSize: 32, lr: 3e-3, seed: 1, evalEvery: 100, valBatches: 8, short: false };

// ---- the worker ----------------------------------------------------------------------------------------

let proxy: Promise<sg.worker.WorkerProxy> | undefined;
/** The training worker, started on first use (Vite bundles ./train.worker.ts as a module worker). */
const trainer = () => (proxy ??= sg.worker.spawn(new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' })));

// ---- page state ----------------------------------------------------------------------------------------

/** The latest run's task and step (its model stays in the worker after it stops, for sampling and attention). */
let current: { task: TaskInfo; step: number; parameters: number } | undefined;
let running: Promise<void> | undefined;

/** The page's requests for samples and attention maps, one after another (each a worker call). */
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
  const w = await trainer();
  ui.setStat('phase', 'loading text (in the worker)…');
  const built = await w.build(cfg);
  const task = await w.call<TaskInfo>('info');
  const V = task.vocab.length;
  current = { task, step: 0, parameters: built.parameters };
  chart.train = [];
  chart.val = [];
  ui.reset(task);
  log(`${task.about}; vocabulary of ${V} characters ${JSON.stringify(task.vocab.join(''))}`);
  log(`GPT: 2 layers × 4 heads, width 64, context ${task.blockSize} — ${fmt(built.parameters)} parameters · bigram baseline ${task.bigram.toFixed(3)}, uniform guess ln ${V} = ${Math.log(V).toFixed(3)} nats/char`);
  Object.assign(window.__demo.result, { corpus: task.corpus, vocab: V, blockSize: task.blockSize, batchSize: cfg.batchSize, parameters: built.parameters, bigram: task.bigram, uniform: Math.log(V), losses: [], valLosses: [] });

  ui.setStat('phase', 'compiling the step…');
  const losses: number[] = [];
  const result = await w.call<{ steps: number; stopped: boolean }>('train', [], {
    onEvent: (name, payload) => {
      if (name === 'compiled') {
        const c = payload as { seconds: number; dispatches: number; evalDispatches: number };
        log(`compiled in ${c.seconds.toFixed(1)} s: ${c.dispatches} dispatches per training step, ${c.evalDispatches} per validation step`);
        window.__demo.result.dispatches = c.dispatches;
        ui.setStat('phase', 'training');
      } else if (name === 'losses') {
        const l = payload as { points: [number, number][]; step: number; charsPerSecond: number; cost: sg.train.TrainingCost };
        for (const [s, v] of l.points) {
          losses.push(v);
          chart.train.push([s, v]);
        }
        current!.step = l.step;
        const recent = l.points.map(([, v]) => v);
        ui.setStat('step', `${l.step} / ${cfg.steps}`);
        ui.setStat('train loss', (recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(3));
        ui.setStat('chars/s', fmt(l.charsPerSecond));
        // The course's training cost: this step's FLOPs (the kernels' cost model) × steps so far, in PFLOP/s-days.
        ui.setStat('training cost', `${l.cost.flops.toExponential(2)} FLOPs · ${fmt(l.cost.flopsPerSecond)}FLOP/s · ${l.cost.pflopDays.toExponential(2)} PFLOP/s-days`);
        window.__demo.result.cost = l.cost;
        window.__demo.result.charsPerSecond = l.charsPerSecond;
        ui.drawLoss();
      } else if (name === 'val') {
        const v = payload as { step: number; loss: number };
        current!.step = v.step;
        chart.val.push([v.step, v.loss]);
        ui.setStat('val loss', v.loss.toFixed(3));
        ui.drawLoss();
        void serial(() => ui.sample(v.step)).then(() => serial(ui.attention)).catch(fail);
      }
    },
  });
  await serial(async () => undefined); // the last samples and attention maps
  ui.setStat('phase', result.stopped ? `stopped at step ${result.steps}` : 'done');
  log(`${result.stopped ? 'stopped' : 'finished'} after ${result.steps} steps: training loss ${(losses.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, losses.length)).toFixed(3)}, ` +
    `validation ${chart.val.length ? chart.val[chart.val.length - 1][1].toFixed(3) : '–'} (bigram ${task.bigram.toFixed(3)}) nats/char`);
  Object.assign(window.__demo.result, { losses, valLosses: chart.val, steps: result.steps });
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
  reset(task: TaskInfo): void;
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
  const pauseBtn = el('button', { id: 'pause', disabled: true }, 'Pause');
  let paused = false;
  $('setup').append(el('div', { class: 'controls' }, corpusSel.root, steps.root, batch.root, lr.root, startBtn, pauseBtn),
    el('p', { class: 'muted', style: 'margin: 8px 0 0' }, 'Training runs in a Web Worker. Train starts a new model; Pause and Stop act after the step in flight; Stop keeps the model, to sample from and inspect.'));

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
    const texts = await (await trainer()).call<string[]>('sample', [t, 1000 * step + samplesDrawn++]);
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
    const view = await (await trainer()).call<AttentionView>('attention', [text.value, Number(layerSel.input.value)]);
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
      setStat('parameters', current ? fmt(current.parameters) : '–');
      ui.drawLoss();
    },
    drawLoss() {
      const last = Math.max(1, chart.train.length ? chart.train[chart.train.length - 1][0] : 1);
      const series: Series[] = [
        { name: 'train', color: '#2f6fdb', points: chart.train },
        { name: 'validation', color: '#e8710a', points: chart.val },
      ];
      if (current) {
        const V = current.task.vocab.length;
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
      startBtn.disabled = true;
      startBtn.textContent = 'Stopping…';
      await (await trainer()).stop(); // after the step in flight; train() then ends
      return;
    }
    paused = false;
    pauseBtn.textContent = 'Pause';
    pauseBtn.disabled = false;
    startBtn.textContent = 'Stop';
    for (const c of [corpusSel.input, steps.input, batch.input, lr.input]) c.disabled = true;
    running = train(config(), ui).catch(fail).finally(() => {
      running = undefined;
      pauseBtn.disabled = true;
      startBtn.disabled = false;
      startBtn.textContent = 'Train';
      for (const c of [corpusSel.input, steps.input, batch.input, lr.input]) c.disabled = false;
    });
  });
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    setStat('phase', paused ? 'paused' : 'training');
    void trainer().then(async (w) => void (paused ? await w.pause() : await w.resume())).catch(fail);
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
  // The other corpus is an npm package too, bundled as its own chunks: check that it loads in the page's worker.
  window.__demo.result.mobyDick = await (await trainer()).call('mobyDick');
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
