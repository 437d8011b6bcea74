// The playground: build a small network from the controls and train it with sg.train.fit in a Web Worker
// (./train.worker.ts through sg.worker.spawn's proxy; the page's thread only draws). Every few epochs
// the worker's inspect() — run between two of its training steps — returns the class probabilities on
// a grid covering the data (the decision boundary), mean |∂L/∂W| per layer from one eager gradient, and
// the weights and biases for the network diagram. Pause / Resume / Stop are the proxy's, acting after
// the step in flight.
import * as sg from 'shadergrad';
import { $, el, fail, fmt, query, select, numberInput, start, testMode } from '../shared/ui.js';
import { fitCanvas, lineChart } from '../shared/chart.js';
import { PRESETS, type Settings } from './presets.js';
import { makeData, nnDropout, type BuildConfig } from './model.js';
import type { Inspection } from './train.worker.js';

const GRID = 48;
const COLORS = [[232, 138, 40], [47, 111, 219], [31, 157, 85]]; // class 0 orange, 1 blue, 2 green

/** A square view of the data with a margin: [x0, y0, size]. */
function viewOf(ds: sg.data.Dataset): [number, number, number] {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < ds.length; i++) {
    x0 = Math.min(x0, ds.x[2 * i]); x1 = Math.max(x1, ds.x[2 * i]);
    y0 = Math.min(y0, ds.x[2 * i + 1]); y1 = Math.max(y1, ds.x[2 * i + 1]);
  }
  const size = Math.max(x1 - x0, y1 - y0) * 1.15;
  return [(x0 + x1) / 2 - size / 2, (y0 + y1) / 2 - size / 2, size];
}

function gridPoints(view: [number, number, number]): Float32Array {
  const [x0, y0, size] = view;
  const g = new Float32Array(GRID * GRID * 2);
  for (let r = 0; r < GRID; r++) {
    for (let c = 0; c < GRID; c++) {
      g[2 * (r * GRID + c)] = x0 + ((c + 0.5) / GRID) * size;
      g[2 * (r * GRID + c) + 1] = y0 + size - ((r + 0.5) / GRID) * size; // row 0 at the top
    }
  }
  return g;
}

function drawBoundary(canvas: HTMLCanvasElement, view: [number, number, number], probs: Float32Array | null, train: sg.data.Dataset, val: sg.data.Dataset): void {
  const { ctx, w, h } = fitCanvas(canvas);
  const cell = document.createElement('canvas');
  cell.width = GRID;
  cell.height = GRID;
  const cctx = cell.getContext('2d')!;
  const img = cctx.createImageData(GRID, GRID);
  const k = train.numClasses ?? 2;
  for (let i = 0; i < GRID * GRID; i++) {
    // Colour of the predicted class, stronger where the model is more confident.
    let best = 0;
    let t = 0;
    if (probs) {
      for (let c = 1; c < k; c++) if (probs[k * i + c] > probs[k * i + best]) best = c;
      t = Math.min(1, (probs[k * i + best] - 1 / k) / (1 - 1 / k)) * 0.55;
    }
    const [r, g, b] = COLORS[best];
    img.data.set([255 + (r - 255) * t, 255 + (g - 255) * t, 255 + (b - 255) * t, 255], i * 4);
  }
  cctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(cell, 0, 0, w, h);
  const [x0, y0, size] = view;
  const X = (x: number) => ((x - x0) / size) * w;
  const Y = (y: number) => h - ((y - y0) / size) * h;
  const dot = (ds: sg.data.Dataset, ring: boolean) => {
    for (let i = 0; i < ds.length; i++) {
      const [r, g, b] = COLORS[ds.y[i]];
      ctx.beginPath();
      ctx.arc(X(ds.x[2 * i]), Y(ds.x[2 * i + 1]), ring ? 4 : 3.5, 0, 2 * Math.PI);
      if (ring) {
        ctx.strokeStyle = `rgb(${r},${g},${b})`;
        ctx.lineWidth = 2;
        ctx.fillStyle = '#fff';
        ctx.fill();
        ctx.stroke();
      } else {
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.strokeStyle = '#fff';
        ctx.lineWidth = 1;
        ctx.fill();
        ctx.stroke();
      }
    }
  };
  dot(train, false);
  dot(val, true);
}

/** At most this many neurons of a layer are drawn in the network diagram (the rest are counted). */
const MAX_DRAWN = 16;

export interface NetworkSummary {
  /** Neurons per layer, input to output. */
  sizes: number[];
  /** Edges drawn (between drawn neurons). */
  edges: number;
  positive: number;
  negative: number;
  /** Largest |w| of each weight matrix (input side first). */
  maxAbs: number[];
  /** Sum of |w| over every weight: changes whenever training moves a weight. */
  l1: number;
}

/**
 * TensorFlow Playground's network view: a column of neurons per layer, an edge per weight, blue for a
 * positive weight and orange for a negative one, thicker and more opaque the larger |w| (one scale for
 * the whole network, so a layer whose weights stay small looks faint). `weights[i]` is layer i's
 * [out, in] matrix (PyTorch's layout), `biases[i]` its [out] vector (the neuron's ring shows its sign).
 */
function drawNetwork(canvas: HTMLCanvasElement, sizes: number[], weights: Float32Array[], biases: Float32Array[]): NetworkSummary {
  const { ctx, w, h } = fitCanvas(canvas);
  const shown = sizes.map((n) => Math.min(n, MAX_DRAWN));
  const top = 18;
  const bottom = 16;
  const x = (l: number) => 28 + (l * (w - 56)) / (sizes.length - 1);
  const y = (l: number, i: number) => top + ((i + 0.5) * (h - top - bottom)) / shown[l];
  const all = weights.flatMap((m) => Array.from(m, Math.abs));
  const scale = all.length ? Math.max(...all) : 0;
  const summary: NetworkSummary = { sizes, edges: 0, positive: 0, negative: 0, maxAbs: weights.map((m) => m.reduce((a, v) => Math.max(a, Math.abs(v)), 0)), l1: all.reduce((a, b) => a + b, 0) };
  ctx.lineCap = 'round';
  for (let l = 0; l < weights.length; l++) {
    const fanIn = sizes[l];
    for (let o = 0; o < shown[l + 1]; o++) {
      for (let i = 0; i < shown[l]; i++) {
        const v = weights[l][o * fanIn + i];
        const t = scale > 0 ? Math.abs(v) / scale : 0;
        const [r, g, b] = v > 0 ? COLORS[1] : v < 0 ? COLORS[0] : [170, 178, 189];
        ctx.strokeStyle = `rgba(${r},${g},${b},${v === 0 ? 0.35 : 0.15 + 0.85 * t})`;
        ctx.lineWidth = v === 0 ? 0.5 : 0.4 + 3.6 * t;
        ctx.beginPath();
        ctx.moveTo(x(l), y(l, i));
        ctx.lineTo(x(l + 1), y(l + 1, o));
        ctx.stroke();
        summary.edges++;
        if (v > 0) summary.positive++;
        else if (v < 0) summary.negative++;
      }
    }
  }
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (let l = 0; l < sizes.length; l++) {
    const last = l === sizes.length - 1;
    for (let i = 0; i < shown[l]; i++) {
      const bias = l > 0 ? biases[l - 1]?.[i] ?? 0 : 0;
      ctx.beginPath();
      ctx.arc(x(l), y(l, i), 5, 0, 2 * Math.PI);
      ctx.fillStyle = last ? `rgb(${COLORS[i].join(',')})` : '#fff';
      ctx.fill();
      const [r, g, b] = bias > 0 ? COLORS[1] : bias < 0 ? COLORS[0] : [120, 130, 145];
      ctx.strokeStyle = `rgb(${r},${g},${b})`;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
    ctx.fillStyle = '#5f6b7a';
    ctx.fillText(l === 0 ? 'x₁, x₂' : last ? 'output' : `hidden ${l}`, x(l), 11);
    if (sizes[l] > shown[l]) ctx.fillText(`+${sizes[l] - shown[l]}`, x(l), h - 3);
  }
  return summary;
}

interface Ui {
  stat(k: string, v: string, label?: string): void;
  log(l: string): void;
  phase(p: string): void;
}

let proxy: Promise<sg.worker.WorkerProxy> | undefined;
/** The training worker, started on first use (Vite bundles ./train.worker.ts as a module worker). */
const trainer = () => (proxy ??= sg.worker.spawn(new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' })));

/**
 * Train `s` in the worker; `stopped()` says whether the page asked it to stop. Draws the boundary,
 * charts and network from the worker's inspect() as it goes; the page's own thread only draws.
 */
async function run(s: Settings, w: sg.worker.WorkerProxy, ui: Ui, stopped: () => boolean): Promise<void> {
  const all = makeData(s);
  const split = sg.data.trainValTestSplit(all, { val: s.valFraction, seed: s.seed, stratify: true });
  const view = viewOf(all);
  const grid = gridPoints(view);
  const classes = all.numClasses ?? 2;
  const canvas = $('boundary') as HTMLCanvasElement;
  const history = { trainLoss: [] as [number, number][], valLoss: [] as [number, number][], trainAcc: [] as [number, number][], valAcc: [] as [number, number][] };
  const sizes = [2, ...Array.from({ length: s.layers }, () => s.width), classes];
  let gradBars: [number, number][] = [];
  const result = window.__demo.result;
  const networks: NetworkSummary[] = [];
  const gradients: number[][] = [];

  const built = await w.build({ ...s, classes } satisfies BuildConfig);
  const drawCharts = () => {
    lineChart($('loss-chart') as HTMLCanvasElement, [
      { name: 'train', color: '#2f6fdb', points: history.trainLoss },
      { name: 'validation', color: '#d64545', points: history.valLoss },
    ], { xLabel: 'epoch', yMin: 0 });
    lineChart($('acc-chart') as HTMLCanvasElement, [
      { name: 'train', color: '#2f6fdb', points: history.trainAcc },
      { name: 'validation', color: '#d64545', points: history.valAcc },
    ], { xLabel: 'epoch', yMax: 1 });
    lineChart($('grad-chart') as HTMLCanvasElement, [
      { name: 'mean |∂L/∂W| (layer 1 = input side)', color: '#8f3fb5', points: gradBars },
    ], { xLabel: 'layer', logY: true, markers: true, integerX: true });
  };
  // The worker's view of the model (between two of its steps): boundary, gradient sizes, weights.
  let inFlight: Promise<void> | undefined;
  const refresh = () => (inFlight ??= (async () => {
    try {
      const r = (await w.call('inspect', [grid, split.train.x, split.train.y])) as Inspection;
      drawBoundary(canvas, view, r.probs, split.train, split.val);
      gradients.push(r.gradMeans);
      result.gradients = { first: gradients[0], last: r.gradMeans };
      gradBars = r.gradMeans.map((m, i) => [i + 1, Math.max(m, 1e-12)]);
      drawCharts();
      const n = drawNetwork($('network') as HTMLCanvasElement, sizes, r.weights, r.biases);
      networks.push(n);
      result.network = { first: networks[0], last: n, draws: networks.length };
    } finally {
      inFlight = undefined;
    }
  })());
  const showEpoch = (r: sg.train.EpochRecord, label = 'epoch') => {
    ui.stat('epoch', label === 'epoch' ? `${r.epoch} / ${s.epochs}` : `${r.epoch}`, label);
    ui.stat('train loss', r.trainLoss.toFixed(4));
    ui.stat('val loss', r.valLoss?.toFixed(4) ?? '–');
    ui.stat('val accuracy', r.valAccuracy === undefined ? '–' : `${(100 * r.valAccuracy).toFixed(1)} %`);
    ui.stat('lr', fmt(r.lr));
    ui.stat('samples/s', fmt(r.samplesPerSecond));
  };

  drawBoundary(canvas, view, null, split.train, split.val);
  await refresh();
  // A stop asked for before fit started has no run in the worker to end: honour it here.
  if (stopped()) {
    ui.phase('stopped');
    return;
  }
  const every = Math.max(1, Math.round(s.epochs / (testMode ? 6 : 40)));
  let lastDraw = performance.now();
  ui.log(`${built.summary.replace(/\n\s*/g, ' ')} · ${built.parameters} parameters · ${split.train.length} train / ${split.val.length} validation points · training in a Web Worker`);
  const pageSubmits = sg.stats().submits; // the page's own device: it submits nothing while the worker trains
  let failure: unknown;
  try {
    const h = await w.fit({
      data: split.train, validationData: split.val, loss: 'crossEntropy', epochs: s.epochs,
      batchSize: s.batchSize, seed: s.seed, metrics: ['accuracy'],
      earlyStopping: s.patience > 0 ? { patience: s.patience, restoreBest: true } : undefined,
      onWarning: (m) => ui.log(`warning: ${m}`),
      onPaused: () => ui.phase('paused'),
      onResumed: () => ui.phase('training'),
      onEpochEnd: ({ record: r }) => {
        history.trainLoss.push([r.epoch, r.trainLoss]);
        if (r.valLoss !== undefined) history.valLoss.push([r.epoch, r.valLoss]);
        if (r.trainAccuracy !== undefined) history.trainAcc.push([r.epoch, r.trainAccuracy]);
        if (r.valAccuracy !== undefined) history.valAcc.push([r.epoch, r.valAccuracy]);
        showEpoch(r);
        if (r.epoch % every === 0 || performance.now() - lastDraw > 1500) {
          lastDraw = performance.now();
          void refresh().catch(() => undefined); // drawn when the worker answers, between two of its steps
        } else if (r.epoch % 5 === 0) drawCharts();
      },
    });
    result.pageSubmitsDuringFit = sg.stats().submits - pageSubmits;
    await inFlight?.catch(() => undefined);
    await refresh();
    const last = h.epochs.at(-1);
    const final = await w.evaluate(split.val, { loss: 'crossEntropy' });
    const trainEval = await w.evaluate(split.train, { loss: 'crossEntropy' });
    // The panel shows the epoch whose weights the model holds: after early stopping, the restored best.
    const restored = h.stopReason === 'earlyStopping' ? h.epochs.find((e) => e.epoch === h.bestEpoch) : undefined;
    if (restored) showEpoch(restored, 'restored best epoch');
    const what = h.stopReason === 'earlyStopping' ? `stopped early after epoch ${last?.epoch}; restored the weights of epoch ${h.bestEpoch}`
      : h.stopReason === 'aborted' ? `stopped by you at epoch ${h.stoppedAt?.epoch}, step ${h.stoppedAt?.step}` : `trained ${last?.epoch} epochs`;
    ui.log(`${what}: train accuracy ${(100 * trainEval.accuracy!).toFixed(1)} %, validation accuracy ${(100 * final.accuracy!).toFixed(1)} %, validation loss ${final.loss!.toFixed(4)}`);
    Object.assign(result, {
      valAccuracy: final.accuracy, valLoss: final.loss, trainAccuracy: trainEval.accuracy, epochs: last?.epoch ?? 0, stoppedEarly: h.stoppedEarly, stopReason: h.stopReason,
      bestEpoch: h.bestEpoch, firstLoss: h.epochs[0]?.trainLoss, lastLoss: last?.trainLoss,
      history: h.epochs.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, valLoss: e.valLoss, valAccuracy: e.valAccuracy })),
    });
    ui.phase(h.stopReason === 'aborted' ? 'stopped' : 'done');
    result.stats = statsText();
  } catch (e) {
    failure = e;
  }
  if (failure === undefined) return;
  if (!(failure instanceof sg.NonFiniteError)) throw failure;
  // The lesson of the "learning rate too large" preset: the loss overflowed.
  ui.phase('diverged');
  ui.log(`training diverged — ${failure.message}`);
  drawCharts();
  await refresh().catch(() => undefined);
  result.diverged = failure.message;
  result.errorName = failure.name;
  result.epochs = history.trainLoss.length;
}

/** The stats panel as label → value (what a reader sees), for the tests. */
function statsText(): Record<string, string> {
  return Object.fromEntries(Array.from($('stats').children, (sp) => [sp.firstChild?.textContent?.trim() ?? '', sp.querySelector('b')?.textContent ?? '']));
}

start('playground', async () => {
  const controls = $('controls');
  const presetSel = select('preset (lesson)', Object.entries(PRESETS).map(([k, p]) => [k, p.name]), query.get('preset') ?? 'spiral');
  presetSel.input.id = 'preset';
  const f = {
    dataset: select('data set', [['spiral', 'spiral'], ['moons', 'moons'], ['circles', 'circles'], ['xor', 'XOR']], 'spiral'),
    n: numberInput('points', 400, { min: 10, max: 5000, step: 10 }),
    noise: numberInput('noise', 0.1, { min: 0, max: 1, step: 0.05 }),
    valFraction: numberInput('validation share', 0.2, { min: 0.05, max: 0.9, step: 0.05 }),
    layers: numberInput('hidden layers', 2, { min: 0, max: 8, step: 1 }),
    width: numberInput('units per layer', 16, { min: 1, max: 256, step: 1 }),
    activation: select('activation', [['relu', 'ReLU'], ['tanh', 'tanh'], ['sigmoid', 'sigmoid']], 'relu'),
    init: select('initialisation', [['default', 'PyTorch default'], ['xavierUniform', 'Xavier (Glorot)'], ['kaimingUniform', 'Kaiming (He)'], ['zeros', 'zeros']], 'kaimingUniform'),
    optimizer: select('optimizer', [['sgd', 'SGD'], ['momentum', 'SGD + momentum'], ['adam', 'Adam'], ['rmsprop', 'RMSprop']], 'adam'),
    lr: numberInput('learning rate', 0.02, { min: 0, step: 'any' }),
    schedule: select('LR schedule', [['constant', 'constant'], ['cosine', 'cosine'], ['step', 'step ×0.3']], 'constant'),
    l1: numberInput('L1', 0, { min: 0, step: 'any' }),
    l2: numberInput('L2', 0, { min: 0, step: 'any' }),
    dropout: numberInput('dropout', 0, { min: 0, max: 0.9, step: 0.05 }),
    batchSize: numberInput('batch size', 32, { min: 1, max: 1024, step: 1 }),
    epochs: numberInput('epochs', 150, { min: 1, max: 5000, step: 1 }),
    patience: numberInput('early stop patience (0 = off)', 0, { min: 0, step: 1 }),
    seed: numberInput('seed', 1, { min: 0, step: 1 }),
  };
  for (const [k, v] of Object.entries(f)) v.input.id = k;
  if (!nnDropout) {
    f.dropout.input.disabled = true;
    f.dropout.root.title = 'sg.nn.dropout is not available in this build of shadergrad';
  }
  const trainBtn = el('button', { class: 'primary', id: 'train' }, 'Train');
  const pauseBtn = el('button', { id: 'pause', disabled: true }, 'Pause');
  const stopBtn = el('button', { id: 'stop', disabled: true }, 'Stop');
  const row = (...xs: { root: HTMLElement }[]) => el('div', { class: 'row' }, ...xs.map((x) => x.root));
  controls.append(presetSel.root,
    el('h3', {}, 'Data'), f.dataset.root, row(f.n, f.noise), f.valFraction.root,
    el('h3', {}, 'Network'), row(f.layers, f.width), f.activation.root, f.init.root, f.dropout.root,
    el('h3', {}, 'Training'), f.optimizer.root, row(f.lr, f.schedule), row(f.l1, f.l2), row(f.batchSize, f.epochs), row(f.patience, f.seed),
    el('div', { class: 'buttons' }, trainBtn, pauseBtn, stopBtn));

  const stats = $('stats');
  const statEls = new Map<string, { label: HTMLElement; value: HTMLElement }>();
  for (const k of ['phase', 'epoch', 'train loss', 'val loss', 'val accuracy', 'lr', 'samples/s']) {
    const value = el('b', {}, '–');
    const label = el('span', { class: 'label' }, k);
    statEls.set(k, { label, value });
    stats.append(el('span', {}, label, ' ', value));
  }
  const logEl = $('log');
  const ui: Ui = {
    stat: (k, v, label) => {
      const e = statEls.get(k)!;
      e.value.textContent = v;
      e.label.textContent = label ?? k;
    },
    log: (l) => {
      logEl.textContent += `${l}\n`;
      logEl.scrollTop = logEl.scrollHeight;
    },
    phase: (p) => ui.stat('phase', p),
  };

  const read = (): Settings => ({
    dataset: f.dataset.input.value as Settings['dataset'], n: Number(f.n.input.value), noise: Number(f.noise.input.value),
    valFraction: Number(f.valFraction.input.value), layers: Math.round(Number(f.layers.input.value)), width: Math.round(Number(f.width.input.value)),
    activation: f.activation.input.value as Settings['activation'], init: f.init.input.value as Settings['init'],
    optimizer: f.optimizer.input.value as Settings['optimizer'], lr: Number(f.lr.input.value), schedule: f.schedule.input.value as Settings['schedule'],
    l1: Number(f.l1.input.value), l2: Number(f.l2.input.value), dropout: nnDropout ? Number(f.dropout.input.value) : 0,
    batchSize: Math.round(Number(f.batchSize.input.value)), epochs: Math.round(Number(f.epochs.input.value)),
    patience: Math.round(Number(f.patience.input.value)), seed: Math.round(Number(f.seed.input.value)),
  });

  let current: { done: Promise<void>; stopped: boolean } | undefined;
  let paused = false;
  const stop = async () => {
    if (!current) return;
    current.stopped = true;
    await (await trainer()).stop(); // the run in the worker ends after its step in flight
    await current.done;
  };

  /** Draw the data set of the current settings (no model yet): right away when the data or preset changes. */
  const showData = () => {
    const s = read();
    const all = makeData(s);
    const split = sg.data.trainValTestSplit(all, { val: s.valFraction, seed: s.seed, stratify: true });
    drawBoundary($('boundary') as HTMLCanvasElement, viewOf(all), null, split.train, split.val);
    window.__demo.result.shownData = { dataset: s.dataset, train: split.train.length, val: split.val.length, seed: s.seed };
  };
  const dataChanged = async () => {
    await stop(); // the boundary and charts of a run belong to its data: a new data set ends it
    showData();
  };
  const apply = (key: string) => {
    const p = PRESETS[key];
    for (const [k, v] of Object.entries(p.settings) as [keyof Settings, string | number][]) f[k].input.value = String(v);
    $('lesson').textContent = p.lesson;
  };
  presetSel.input.addEventListener('change', () => {
    apply(presetSel.input.value);
    void dataChanged().catch(fail);
  });
  for (const k of ['dataset', 'n', 'noise', 'valFraction', 'seed'] as const) f[k].input.addEventListener('change', () => void dataChanged().catch(fail));
  apply(presetSel.input.value);
  // Test mode runs each preset as a reader would, with its own epochs; ?epochs=N overrides them.
  if (query.has('epochs')) f.epochs.input.value = query.get('epochs')!;

  trainBtn.addEventListener('click', async () => {
    await stop();
    const s = read();
    trainBtn.textContent = 'Restart';
    pauseBtn.disabled = false;
    stopBtn.disabled = false;
    pauseBtn.textContent = 'Pause';
    ui.phase('starting the worker…');
    ui.stat('epoch', '–');
    window.__demo.result = { preset: presetSel.input.value, settings: s };
    paused = false;
    const mine = { done: Promise.resolve(), stopped: false };
    mine.done = trainer().then((w) => {
      ui.phase('training');
      return run(s, w, ui, () => mine.stopped);
    }).catch(fail).finally(() => {
      if (current === mine) {
        current = undefined;
        pauseBtn.disabled = true;
        stopBtn.disabled = true;
        trainBtn.textContent = 'Train';
      }
    });
    current = mine;
    await mine.done;
  });
  pauseBtn.addEventListener('click', async () => {
    if (!current) return;
    const w = await trainer();
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    if (paused) {
      ui.phase('pausing…');
      await w.pause(); // the worker parks after its step in flight; onPaused sets the phase
    } else await w.resume();
  });
  stopBtn.addEventListener('click', () => void stop());

  // Draw the data before any training.
  showData();
  drawNetwork($('network') as HTMLCanvasElement, [2, ...Array.from({ length: read().layers }, () => read().width), makeData(read()).numClasses ?? 2], [], []);
  lineChart($('loss-chart') as HTMLCanvasElement, []);
  lineChart($('acc-chart') as HTMLCanvasElement, []);
  lineChart($('grad-chart') as HTMLCanvasElement, []);
  if (testMode || query.has('autorun')) {
    trainBtn.click();
    await new Promise((r) => setTimeout(r, 0));
    await current?.done;
  }
});
