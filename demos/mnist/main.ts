// MNIST, trained live — in a Web Worker. The page's thread only draws: the digits are loaded, the model
// is built and sg.train.fit runs in ./train.worker.ts, driven through sg.worker.spawn's proxy:
//
//   proxy.build(config)      the model and optimizer, made in the worker (./model.ts)
//   proxy.fit({ data: 'train', validationData: 'val', … })   the data sets are the worker's, by name;
//                            onReadBack streams the per-step losses, onEpochEnd each epoch's record and the
//                            predictions on the sample strip (predictEachEpoch), onPaused / onResumed
//   proxy.pause() / resume() / stop()   take effect after the step in flight
//   proxy.evaluate('val')    the confusion matrix after each epoch
//   proxy.predict(pixels)    the drawing pad; proxy.save / load: checkpoints, to OPFS or as a file
//
// In test mode the page also measures requestAnimationFrame gaps while the worker trains (and, to
// compare, while a main-thread fit runs): demos/test/run.mjs asserts the page stays responsive.
import * as sg from 'shadergrad';
import { $, el, fail, fmt, nextFrame, numberInput, select, start, testMode } from '../shared/ui.js';
import { heatmap, lineChart } from '../shared/chart.js';
import { drawPad, showDigit } from './draw.js';
import { buildModel, buildScheduler, type BuildConfig, type ModelKind, type OptName, type Schedule } from './model.js';

interface Config {
  model: ModelKind;
  count: number;
  epochs: number;
  batchSize: number;
  optimizer: OptName;
  lr: number;
  schedule: Schedule;
}

const CHECKPOINT_NAME = 'shadergrad-mnist.safetensors';
const HIDDEN = testMode ? 64 : 128;
const SAMPLES = 24;
const DEFAULTS: Config = testMode
  ? { model: 'mlp', count: 512, epochs: 2, batchSize: 32, optimizer: 'adam', lr: 3e-3, schedule: 'cosine' }
  : { model: 'mlp', count: 10000, epochs: 8, batchSize: 64, optimizer: 'adam', lr: 2e-3, schedule: 'cosine' };

// ---- the worker ----------------------------------------------------------------------------------------

let proxy: Promise<sg.worker.WorkerProxy> | undefined;
/** The training worker, started on first use (Vite bundles ./train.worker.ts as a module worker). */
const trainer = () => (proxy ??= sg.worker.spawn(new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' })));

// ---- page state ------------------------------------------------------------------------------------

let hasModel = false;
let modelKind: ModelKind = DEFAULTS.model;
let epochDone = 0;
let running: Promise<void> | undefined;
let paused = false;

const charts = {
  trainLoss: [] as [number, number][],
  valLoss: [] as [number, number][],
  trainAcc: [] as [number, number][],
  valAcc: [] as [number, number][],
  lrUsed: [] as [number, number][],
  lrPlan: [] as [number, number][],
};

const log = (line: string) => {
  const l = $('log');
  l.textContent += `${line}\n`;
  l.scrollTop = l.scrollHeight;
};

function drawCharts(): void {
  lineChart($('loss-chart') as HTMLCanvasElement, [
    { name: 'train (per step)', color: '#2f6fdb', points: smooth(charts.trainLoss, 5) },
    { name: 'validation', color: '#d64545', points: charts.valLoss },
  ], { xLabel: 'epoch', markers: false });
  lineChart($('acc-chart') as HTMLCanvasElement, [
    { name: 'train', color: '#2f6fdb', points: charts.trainAcc },
    { name: 'validation', color: '#d64545', points: charts.valAcc },
  ], { xLabel: 'epoch', markers: true, yMax: 1 });
  lineChart($('lr-chart') as HTMLCanvasElement, [
    { name: 'lrCurve (per epoch)', color: '#8f3fb5', points: charts.lrPlan, dashed: true },
    { name: 'used', color: '#1f9d55', points: charts.lrUsed },
  ], { xLabel: 'epoch', markers: true, yMin: 0 });
}

/** Moving average over `k` points (the per-step loss is noisy). */
function smooth(points: [number, number][], k: number): [number, number][] {
  return points.map(([x], i) => {
    const from = Math.max(0, i - k + 1);
    let s = 0;
    for (let j = from; j <= i; j++) s += points[j][1];
    return [x, s / (i - from + 1)];
  });
}

interface Frames {
  frames: number;
  maxGapMs: number;
  p95GapMs: number;
  ms: number;
  /** The three longest gaps [ms, when it ended (ms after the start)]. */
  longest: [number, number][];
  /** Tasks of this thread over 50 ms (the Long Tasks API), and their longest. */
  longTasks: number;
  longestTaskMs: number;
  /** Each long task: [ms, when it started (ms after the start)]. */
  tasks: [number, number][];
}

/** requestAnimationFrame gaps and long tasks of the page's thread from now until the returned function is called. */
function watchFrames(): () => Frames {
  const gaps: number[] = [];
  const ends: number[] = [];
  const tasks: [number, number][] = [];
  const t0 = performance.now();
  let observer: PerformanceObserver | undefined;
  try {
    observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => tasks.push([Math.round(e.duration), Math.round(e.startTime - t0)])));
    observer.observe({ type: 'longtask' });
  } catch {
    observer = undefined; // a browser without the Long Tasks API: frames only
  }
  let last = t0;
  let on = true;
  const tick = (t: number) => {
    gaps.push(t - last);
    ends.push(t - t0);
    last = t;
    if (on) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return () => {
    on = false;
    gaps.push(performance.now() - last); // the frame still pending counts too
    ends.push(performance.now() - t0);
    const sorted = [...gaps].sort((a, b) => a - b);
    // The three longest gaps, with when they ended (ms after the start): for a reader of a failure.
    const longest = gaps.map((g, i) => [Math.round(g), Math.round(ends[i])] as [number, number]).sort((a, b) => b[0] - a[0]).slice(0, 3);
    observer?.takeRecords().forEach((e) => tasks.push([Math.round(e.duration), Math.round(e.startTime - t0)]));
    observer?.disconnect();
    return {
      frames: gaps.length, maxGapMs: sorted[sorted.length - 1], p95GapMs: sorted[Math.floor(0.95 * (sorted.length - 1))], ms: performance.now() - t0, longest,
      longTasks: tasks.length, longestTaskMs: Math.max(0, ...tasks.map(([d]) => d)), tasks,
    };
  };
}

// ---- training ----------------------------------------------------------------------------------------

async function train(cfg: Config, ui: Ui): Promise<void> {
  ui.setStat('phase', 'starting the worker…');
  const w = await trainer();
  const build: BuildConfig = { model: cfg.model, hidden: HIDDEN, optimizer: cfg.optimizer, lr: cfg.lr, schedule: cfg.schedule, epochs: cfg.epochs };
  const built = await w.build(build);
  hasModel = true;
  modelKind = cfg.model;
  epochDone = 0;
  ui.setStat('phase', 'loading digits (in the worker)…');
  const data = { name: 'train', args: { count: cfg.count } };
  const val = { name: 'val', args: { count: cfg.count } };
  const samples = await w.call<{ x: Float32Array; y: Int32Array; train: number; val: number }>('samples', [cfg.count, SAMPLES]);
  ui.showSamples(samples.x, samples.y);
  for (const k of Object.keys(charts) as (keyof typeof charts)[]) charts[k] = [];
  charts.lrPlan = sg.optim.lrCurve(buildScheduler(cfg.schedule, cfg.epochs), cfg.epochs, cfg.lr).map((v, e) => [e, v]);
  log(`${built.summary}\n${fmt(built.parameters)} parameters · ${samples.train} training / ${samples.val} validation digits · training in a Web Worker`);

  const stepsPerEpoch = Math.floor(samples.train / cfg.batchSize);
  let steps = 0;
  let windowStart = performance.now();
  let windowSteps = 0;
  let confusion: Promise<void> = Promise.resolve();
  const losses: number[] = [];
  ui.setStat('phase', 'compiling and training…');
  await nextFrame(); // the sample strip and the log painted: measure the training, not the page's setup
  const frames = watchFrames();
  const pageSubmits = sg.stats().submits; // the page's own device: it should submit nothing while the worker trains
  const h = await w.fit({
    data, validationData: val, loss: 'crossEntropy', epochs: cfg.epochs, batchSize: cfg.batchSize, shuffle: true, dropLast: true, seed: 1,
    predictEachEpoch: { x: samples.x, shape: [samples.y.length, 1, 28, 28] },
    onStepEnd: ({ epoch }) => {
      steps++;
      windowSteps++;
      if (steps === 1) ui.setStat('phase', 'training');
      ui.setStat('epoch', `${epoch} / ${cfg.epochs}`);
      ui.setStat('step', String(steps));
      window.__demo.result.stepsSeen = steps;
      // Test mode: the Pause button, clicked during step 3's event (pauseTest checks where the worker parked).
      if (testMode && steps === 3 && !window.__demo.result.pauseClicked) {
        window.__demo.result.pauseClicked = steps;
        ($('pause') as HTMLButtonElement).click();
      }
    },
    onReadBack: (read) => {
      for (const r of read) {
        losses.push(r.loss);
        charts.trainLoss.push([(r.step - 1) / stepsPerEpoch, r.loss]);
      }
      const now = performance.now();
      ui.setStat('train loss', losses[losses.length - 1].toFixed(4));
      ui.setStat('samples/s', fmt((windowSteps * cfg.batchSize) / ((now - windowStart) / 1000)));
      windowStart = now;
      windowSteps = 0;
      drawCharts();
    },
    onEpochEnd: ({ record, predictions }) => {
      epochDone = record.epoch;
      charts.trainAcc.push([record.epoch, record.trainAccuracy ?? NaN]);
      charts.valLoss.push([record.epoch, record.valLoss!]);
      charts.valAcc.push([record.epoch, record.valAccuracy!]);
      charts.lrUsed.push([record.epoch - 1, record.lr]);
      ui.setStat('val accuracy', `${(100 * record.valAccuracy!).toFixed(1)} %`);
      ui.setStat('lr', fmt(record.lr));
      if (predictions) ui.showSamples(samples.x, samples.y, argmaxRows(predictions, 10));
      drawCharts();
      log(`epoch ${record.epoch}: train loss ${record.trainLoss.toFixed(4)}, val loss ${record.valLoss!.toFixed(4)}, ` +
        `val accuracy ${(100 * record.valAccuracy!).toFixed(2)} % (${fmt(record.samplesPerSecond)} samples/s)`);
      window.__demo.result.valAccuracy = record.valAccuracy;
      window.__demo.result.valLoss = record.valLoss;
      // The confusion matrix: an evaluate() call the worker runs between two steps of the next epoch.
      confusion = confusion.then(() => w.evaluate(val, { batchSize: 256 })).then((ev) => heatmap($('confusion') as HTMLCanvasElement, ev.confusion!), fail);
    },
    onPaused: (at) => {
      ui.setStat('phase', `paused after step ${at.step} of epoch ${at.epoch}`);
      window.__demo.result.pausedAt = { ...at, stepsSeen: steps };
    },
    onResumed: () => ui.setStat('phase', 'training'),
  });
  window.__demo.result.frames = { ...frames(), pageSubmits: sg.stats().submits - pageSubmits };
  await confusion;
  ui.setStat('phase', h.stopReason === 'aborted' ? `stopped at step ${steps}` : 'done');
  log(`fit: ${h.stopReason} after ${steps} steps`);
  window.__demo.result.losses = losses;
  window.__demo.result.epochs = epochDone;
  window.__demo.result.stopReason = h.stopReason;
}

function argmaxRows(p: Float32Array, k: number): Int32Array {
  const out = new Int32Array(p.length / k);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[r * k + c] > p[r * k + best]) best = c;
    out[r] = best;
  }
  return out;
}

// ---- checkpoints -------------------------------------------------------------------------------------

/** Load checkpoint bytes: the checkpoint says which model (a page-side parse; no GPU), the worker loads it. */
async function restore(bytes: Uint8Array): Promise<string> {
  const meta = (await sg.io.loadCheckpoint(bytes)).metadata;
  const kind: ModelKind = meta.mnistModel === 'cnn' ? 'cnn' : 'mlp';
  const w = await trainer();
  if (!hasModel || kind !== modelKind) {
    await w.build({ ...DEFAULTS, model: kind, hidden: HIDDEN } satisfies BuildConfig);
    modelKind = kind;
    hasModel = true;
  }
  await w.load(bytes);
  epochDone = Number(meta.epoch ?? 0);
  return `loaded a ${kind.toUpperCase()} checkpoint (epoch ${epochDone})`;
}

const saveOptions = () => ({ metadata: { demo: 'mnist', mnistModel: modelKind, epoch: epochDone } });

// ---- the page ------------------------------------------------------------------------------------------

interface Ui {
  setStat(name: string, value: string): void;
  showSamples(x: Float32Array, y: Int32Array, predictions?: Int32Array): void;
}

// ---- the page ------------------------------------------------------------------------------------------

function buildUi(): { ui: Ui; pad: ReturnType<typeof drawPad> } {
  const setup = $('setup');
  const modelSel = select('model', [['mlp', `MLP 784→${testMode ? 64 : 128}→10`], ['cnn', 'CNN conv8·conv16·linear']], DEFAULTS.model);
  const countSel = select('digits', [['512', '512'], ['2000', '2,000'], ['5000', '5,000'], ['10000', '10,000 (all)']], String(DEFAULTS.count));
  const epochs = numberInput('epochs', DEFAULTS.epochs, { min: 1, max: 100, step: 1 });
  const batch = select('batch size', [['16', '16'], ['32', '32'], ['64', '64'], ['128', '128'], ['256', '256']], String(DEFAULTS.batchSize));
  const optSel = select('optimizer', [['adam', 'Adam'], ['adamW', 'AdamW (wd 0.01)'], ['sgd', 'SGD + momentum 0.9'], ['rmsprop', 'RMSprop'], ['adagrad', 'Adagrad']], DEFAULTS.optimizer);
  const lr = numberInput('learning rate', DEFAULTS.lr, { min: 0, step: 'any' });
  const sched = select('schedule', [['constant', 'constant'], ['cosine', 'cosine annealing'], ['step', 'step (×0.3)']], DEFAULTS.schedule);
  const startBtn = el('button', { class: 'primary', id: 'start' }, 'Train');
  const pauseBtn = el('button', { id: 'pause', disabled: true }, 'Pause');
  const saveBtn = el('button', { id: 'save' }, 'Download checkpoint');
  const opfsSave = el('button', { id: 'opfs-save' }, 'Save to OPFS');
  const opfsLoad = el('button', { id: 'opfs-load' }, 'Load from OPFS');
  const fileInput = el('input', { type: 'file', accept: '.safetensors', style: 'display:none' });
  const fileBtn = el('button', { id: 'file-load' }, 'Load file…');
  setup.append(el('div', { class: 'controls' },
    modelSel.root, countSel.root, epochs.root, batch.root, optSel.root, lr.root, sched.root, startBtn, pauseBtn),
  el('div', { class: 'controls', style: 'margin-top: 10px' }, saveBtn, opfsSave, opfsLoad, fileBtn, fileInput));

  const stats = $('stats');
  const statEls = new Map<string, HTMLElement>();
  for (const name of ['phase', 'epoch', 'step', 'train loss', 'val accuracy', 'samples/s', 'lr']) {
    const b = el('b', {}, '–');
    statEls.set(name, b);
    stats.append(el('span', {}, `${name} `, b));
  }
  const samples = el('div', { style: 'display:flex; gap:6px; flex-wrap:wrap; margin-top:10px' });
  stats.after(el('section', { class: 'panel needs-gpu', style: 'margin-top:16px' },
    el('h2', {}, 'Validation digits ', el('small', {}, 'true label · prediction after the last epoch (green right, red wrong)')), samples));

  const ui: Ui = {
    setStat: (name, value) => {
      statEls.get(name)!.textContent = value;
    },
    showSamples(x, y, predictions) {
      samples.replaceChildren();
      for (let i = 0; i < y.length; i++) {
        const c = el('canvas', { style: 'width:42px; height:42px; image-rendering: pixelated; border-radius: 3px' });
        showDigit(c, x.subarray(i * 784, (i + 1) * 784));
        const p = predictions?.[i];
        const ok = p === y[i];
        samples.append(el('div', { style: 'text-align:center; font-size:11px' }, c,
          el('div', { class: 'mono' }, `${y[i]}`, p === undefined ? null : el('span', { style: `color:${ok ? 'var(--good)' : 'var(--bad)'}` }, ` → ${p}`))));
      }
    },
  };

  // Drawing pad + prediction bars.
  const preview = el('canvas', { style: 'width: 84px; height: 84px; image-rendering: pixelated; border: 1px solid var(--line); border-radius: 4px' });
  const bars = el('div', { id: 'bars', style: 'display:grid; grid-template-columns: 18px 1fr 48px; gap: 3px 8px; align-items:center; min-width: 260px' });
  const verdict = el('div', { id: 'verdict', style: 'font-size: 40px; font-weight: 700; min-height: 56px' }, '?');
  const showBars = (p?: Float32Array) => {
    bars.replaceChildren();
    const best = p ? p.indexOf(Math.max(...p)) : -1;
    for (let d = 0; d < 10; d++) {
      const v = p?.[d] ?? 0;
      bars.append(el('span', { class: 'mono' }, String(d)),
        el('div', { style: 'background:#eef1f5; height: 14px; border-radius: 3px; overflow:hidden' },
          el('div', { style: `width:${(100 * v).toFixed(1)}%; height:100%; background:${d === best ? 'var(--good)' : 'var(--accent)'}` })),
        el('span', { class: 'mono muted', style: 'text-align:right' }, p ? `${(100 * v).toFixed(1)}%` : ''));
    }
    verdict.textContent = p ? String(best) : '?';
    window.__demo.result.drawn = p ? { digit: best, probs: Array.from(p) } : undefined;
  };
  let predicting = Promise.resolve();
  const pad = drawPad(() => {
    predicting = predicting.then(async () => {
      const px = pad.pixels();
      showDigit(preview, px);
      if (!px || !hasModel) return showBars(undefined);
      // In the worker, between two training steps if a fit runs.
      showBars((await (await trainer()).predict(px, [1, 1, 28, 28], { softmax: true })).data);
    }).catch(fail);
  });
  showBars(undefined);
  showDigit(preview, null);
  $('draw').append(el('div', { style: 'display:flex; gap: 24px; flex-wrap: wrap; align-items:flex-start' },
    pad.root,
    el('div', { style: 'display:flex; flex-direction:column; gap:8px; align-items:flex-start' },
      el('span', { class: 'muted' }, 'what the model sees (28×28)'), preview,
      el('button', { onclick: () => pad.clear() }, 'Clear'),
      el('span', { class: 'muted' }, 'prediction'), verdict),
    bars));

  const config = (): Config => ({
    model: modelSel.input.value as ModelKind,
    count: Number(countSel.input.value),
    epochs: Math.max(1, Math.round(Number(epochs.input.value))),
    batchSize: Number(batch.input.value),
    optimizer: optSel.input.value as OptName,
    lr: Number(lr.input.value),
    schedule: sched.input.value as Schedule,
  });

  const busy = (f: () => Promise<string | void>) => async () => {
    try {
      const msg = await f();
      if (msg) log(msg);
    } catch (e) {
      log(`error: ${(e as Error).message}`);
    }
  };
  startBtn.addEventListener('click', async () => {
    if (running) {
      await (await trainer()).stop();
      await running;
    }
    paused = false;
    pauseBtn.textContent = 'Pause';
    pauseBtn.disabled = false;
    startBtn.textContent = 'Restart';
    running = train(config(), ui).catch(fail).finally(() => {
      running = undefined;
      pauseBtn.disabled = true;
      startBtn.textContent = 'Train';
    });
  });
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    void trainer().then(async (w) => void (paused ? await w.pause() : await w.resume())).catch(fail);
  });
  saveBtn.addEventListener('click', busy(async () => {
    if (!hasModel) throw new Error('train or load a model first');
    sg.io.downloadCheckpoint(await (await trainer()).save(saveOptions()), CHECKPOINT_NAME);
    return `downloading ${CHECKPOINT_NAME}`;
  }));
  opfsSave.addEventListener('click', busy(async () => {
    if (!hasModel) throw new Error('train or load a model first');
    await (await trainer()).save({ ...saveOptions(), opfs: CHECKPOINT_NAME }); // written by the worker
    return `saved ${CHECKPOINT_NAME} in the origin private file system`;
  }));
  opfsLoad.addEventListener('click', busy(async () => restore(await sg.io.loadFromOPFS(CHECKPOINT_NAME))));
  fileBtn.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', busy(async () => {
    const f = fileInput.files?.[0];
    if (!f) return;
    return restore(new Uint8Array(await f.arrayBuffer()));
  }));
  drawCharts();
  return { ui, pad };
}

/**
 * Test mode, after training: the checkpoint round trip (the worker writes OPFS, the page reads the same
 * bytes; zeroed weights, then restored), the drawing pad, and for comparison the frame gaps while a
 * fit of the same model runs on the page's own thread.
 */
async function selfTest(pad: ReturnType<typeof drawPad>): Promise<void> {
  const w = await trainer();
  const probe = { name: 'probe', args: { count: 64, seed: 7 } };
  const before = await w.evaluate(probe, { loss: 'crossEntropy' });
  const bytes = await w.save({ ...saveOptions(), opfs: CHECKPOINT_NAME });
  const back = await sg.io.loadFromOPFS(CHECKPOINT_NAME);
  await w.call('zeroWeights');
  const zeroed = await w.evaluate(probe, { loss: 'crossEntropy' });
  log(await restore(back));
  const after = await w.evaluate(probe, { loss: 'crossEntropy' });
  window.__demo.result.checkpoint = { bytes: bytes.length, opfsSame: back.length === bytes.length && back.every((b, i) => b === bytes[i]), lossBefore: before.loss, lossZeroed: zeroed.loss, lossAfter: after.loss };
  // Draw a "1" on the pad and wait for the prediction.
  pad.stroke([[140, 40], [142, 120], [140, 240]]);
  for (let i = 0; i < 100 && !window.__demo.result.drawn; i++) await new Promise((r) => setTimeout(r, 50));
  // The same training on the page's thread (random digits of the same shape): how long frames wait then.
  const n = 460;
  const rng = new sg.Random(3);
  const x = Float32Array.from({ length: n * 784 }, () => rng.uniform());
  const y = Int32Array.from({ length: n }, (_, i) => i % 10);
  const model = buildModel('mlp', HIDDEN);
  const frames = watchFrames();
  await sg.train.fit(model, {
    data: { x, y, xShape: [1, 28, 28], yShape: [], numClasses: 10, length: n }, loss: 'crossEntropy',
    optimizer: sg.optim.adam(model.parameters(), { lr: 3e-3 }), epochs: DEFAULTS.epochs, batchSize: DEFAULTS.batchSize, dropLast: true, seed: 1,
    validationSplit: 0.1,
  });
  window.__demo.result.framesMainThread = frames();
}

/** Test mode, while the worker trains: the Pause button (clicked at step 3) parked it; wait, then Resume. */
async function pauseTest(): Promise<void> {
  while (running && !window.__demo.result.pausedAt) await new Promise((r) => setTimeout(r, 5));
  if (!running) return;
  const parked = Number(window.__demo.result.stepsSeen);
  await new Promise((r) => setTimeout(r, 400));
  window.__demo.result.pause = { clickedAt: window.__demo.result.pauseClicked, parked, after400ms: Number(window.__demo.result.stepsSeen), at: window.__demo.result.pausedAt };
  ($('pause') as HTMLButtonElement).click();
}

start('mnist', async () => {
  const { pad } = buildUi();
  ($('start') as HTMLButtonElement).click();
  if (testMode) {
    await new Promise((r) => setTimeout(r, 0));
    await pauseTest();
    await running;
    if (window.__demo.status === 'error') return;
    await selfTest(pad);
  }
});
