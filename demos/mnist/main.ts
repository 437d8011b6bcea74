// MNIST, trained live. The training loop is written out with the public API rather than hidden in
// sg.train.fit, so that it can pause between any two steps and chart every loss:
//
//   GpuDataset   the training digits live on the GPU; a step uploads only its batch's indices
//   compile      forward + cross-entropy + backward + optimizer update → one plan, one submit per step
//   plan.flush   losses come back through the plan's staging ring, read every few steps
//   evaluate     validation loss, accuracy and confusion matrix after each epoch
import * as sg from 'shadergrad';
import { $, el, fail, fmt, nextFrame, numberInput, select, start, testMode } from '../shared/ui.js';
import { heatmap, lineChart } from '../shared/chart.js';
import { drawPad, showDigit } from './draw.js';

type ModelKind = 'mlp' | 'cnn';
type OptName = 'adam' | 'adamW' | 'sgd' | 'rmsprop';
type Schedule = 'constant' | 'cosine' | 'step';

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
const DEFAULTS: Config = testMode
  ? { model: 'mlp', count: 512, epochs: 2, batchSize: 32, optimizer: 'adam', lr: 3e-3, schedule: 'cosine' }
  : { model: 'mlp', count: 10000, epochs: 8, batchSize: 64, optimizer: 'adam', lr: 2e-3, schedule: 'cosine' };

function buildModel(kind: ModelKind): sg.nn.Module {
  sg.manualSeed(1);
  const nn = sg.nn;
  if (kind === 'mlp') {
    const hidden = testMode ? 64 : 128;
    return nn.sequential(nn.flatten(), nn.linear(784, hidden), nn.relu(), nn.linear(hidden, 10));
  }
  return nn.sequential(
    nn.conv2d(1, 8, 3, { padding: 1 }), nn.relu(), nn.maxPool2d(2),
    nn.conv2d(8, 16, 3, { padding: 1 }), nn.relu(), nn.maxPool2d(2),
    nn.flatten(), nn.linear(16 * 7 * 7, 10));
}

function buildScheduler(s: Schedule, epochs: number): sg.optim.Scheduler {
  if (s === 'cosine') return sg.optim.cosineAnnealing({ tMax: epochs });
  if (s === 'step') return sg.optim.stepLR({ stepSize: Math.max(1, Math.floor(epochs / 3)), gamma: 0.3 });
  return sg.optim.constant();
}

function buildOptimizer(name: OptName, params: sg.Tensor[], lr: number, scheduler: sg.optim.Scheduler): sg.optim.Optimizer {
  if (name === 'sgd') return sg.optim.sgd(params, { lr, momentum: 0.9, scheduler });
  if (name === 'rmsprop') return sg.optim.rmsprop(params, { lr, scheduler });
  if (name === 'adamW') return sg.optim.adamW(params, { lr, weightDecay: 1e-2, scheduler });
  return sg.optim.adam(params, { lr, scheduler });
}

// ---- page state ------------------------------------------------------------------------------------

let model: sg.nn.Module | undefined;
let modelKind: ModelKind = DEFAULTS.model;
let epochDone = 0;
let running: Promise<void> | undefined;
let stopRequested = false;
let paused = false;
let resume: (() => void) | undefined;

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

// ---- training ----------------------------------------------------------------------------------------

async function train(cfg: Config, ui: Ui): Promise<void> {
  ui.setStat('phase', 'loading digits…');
  const ds = await sg.data.mnist({ count: cfg.count, seed: 1 });
  const split = sg.data.trainValTestSplit(ds, { val: 0.1, seed: 1, stratify: true });
  ui.showSamples(split.val);
  model = buildModel(cfg.model);
  modelKind = cfg.model;
  epochDone = 0;
  const scheduler = buildScheduler(cfg.schedule, cfg.epochs);
  const opt = buildOptimizer(cfg.optimizer, model.parameters(), cfg.lr, scheduler);
  for (const k of Object.keys(charts) as (keyof typeof charts)[]) charts[k] = [];
  charts.lrPlan = sg.optim.lrCurve(scheduler, cfg.epochs, cfg.lr).map((v, e) => [e, v]);
  log(`${model.toString()}\n${fmt(model.numParameters())} parameters · ${split.train.length} training / ${split.val.length} validation digits`);

  const data = new sg.train.GpuDataset(split.train, 'mnist train');
  const net = model;
  ui.setStat('phase', 'compiling the step…');
  const t0 = performance.now();
  const plan = await sg.compile((idx) => {
    const logits = net.forward(sg.indexSelect(data.x, 0, idx));
    const target = sg.indexSelect(data.y, 0, idx);
    return { loss: sg.crossEntropy(logits, target), acc: sg.accuracy(logits, target) };
  }, {
    inputs: [{ shape: [cfg.batchSize], dtype: 'i32', name: 'batch indices' }],
    params: opt.params, optimizer: opt, label: `mnist ${cfg.model} step`,
  });
  log(`compiled: ${plan.size} dispatches per step in ${(performance.now() - t0).toFixed(0)} ms`);
  const losses: number[] = [];
  try {
    const stepsPerEpoch = Math.floor(split.train.length / cfg.batchSize);
    let step = 0;
    for (let epoch = 0; epoch < cfg.epochs && !stopRequested; epoch++) {
      ui.setStat('phase', 'training');
      const batches = sg.train.epochBatches(split.train.length, { batchSize: cfg.batchSize, shuffle: true, dropLast: true, seed: 1 }, epoch);
      let accSum = 0;
      let accN = 0;
      let windowStart = performance.now();
      let windowSamples = 0;
      for (let b = 0; b < batches.length; b++) {
        if (paused) {
          ui.setStat('phase', 'paused');
          await new Promise<void>((r) => (resume = r));
          ui.setStat('phase', 'training');
          windowStart = performance.now();
          windowSamples = 0;
        }
        if (stopRequested) break;
        // Schedules are per epoch; a fractional epoch gives continuous ones (cosine) a smooth curve.
        opt.setEpoch(epoch + b / stepsPerEpoch);
        plan.run(batches[b]);
        step++;
        windowSamples += cfg.batchSize;
        if (step % 16 === 0 || b === batches.length - 1) {
          const records = await plan.drain();
          for (const r of records) {
            const x = (r.step - 1) / stepsPerEpoch;
            const loss = r.values.loss[0];
            losses.push(loss);
            charts.trainLoss.push([x, loss]);
            accSum += r.values.acc[0];
            accN++;
          }
          charts.lrUsed.push([epoch + b / stepsPerEpoch, opt.currentLr()]);
          const sps = windowSamples / ((performance.now() - windowStart) / 1000);
          windowStart = performance.now();
          windowSamples = 0;
          ui.setStat('epoch', `${epoch + 1} / ${cfg.epochs}`);
          ui.setStat('step', String(step));
          ui.setStat('train loss', losses.length ? losses[losses.length - 1].toFixed(4) : '–');
          ui.setStat('samples/s', fmt(sps));
          ui.setStat('lr', fmt(opt.currentLr()));
          drawCharts();
          await nextFrame();
        }
      }
      if (stopRequested) break;
      charts.trainAcc.push([epoch + 1, accSum / Math.max(1, accN)]);
      ui.setStat('phase', 'validating');
      const ev = await sg.train.evaluate(net, split.val, { loss: 'crossEntropy', batchSize: 256 });
      epochDone = epoch + 1;
      charts.valLoss.push([epoch + 1, ev.loss!]);
      charts.valAcc.push([epoch + 1, ev.accuracy!]);
      heatmap($('confusion') as HTMLCanvasElement, ev.confusion!);
      ui.showSamples(split.val, ev.predictions);
      ui.setStat('val accuracy', `${(100 * ev.accuracy!).toFixed(1)} %`);
      drawCharts();
      log(`epoch ${epoch + 1}: train loss ${(losses.slice(-stepsPerEpoch).reduce((a, b) => a + b, 0) / Math.min(losses.length, stepsPerEpoch)).toFixed(4)}, ` +
        `val loss ${ev.loss!.toFixed(4)}, val accuracy ${(100 * ev.accuracy!).toFixed(2)} %`);
      window.__demo.result.valAccuracy = ev.accuracy;
      window.__demo.result.valLoss = ev.loss;
    }
  } finally {
    plan.dispose();
    data.dispose();
  }
  ui.setStat('phase', stopRequested ? 'stopped' : 'done');
  window.__demo.result.losses = losses;
  window.__demo.result.epochs = epochDone;
}

// ---- checkpoints -------------------------------------------------------------------------------------

async function checkpoint(): Promise<Uint8Array> {
  if (!model) throw new Error('train or load a model first');
  return sg.io.checkpointBytes({ tensors: model.stateDict(), metadata: { demo: 'mnist', model: modelKind, epoch: epochDone } });
}

async function restore(bytes: Uint8Array): Promise<string> {
  const loaded = await sg.io.loadCheckpoint(bytes);
  const kind = loaded.metadata.model === 'cnn' ? 'cnn' : 'mlp';
  if (!model || kind !== modelKind) {
    model = buildModel(kind);
    modelKind = kind;
  }
  await model.loadStateDict(loaded.tensors);
  epochDone = Number(loaded.metadata.epoch ?? 0);
  return `loaded a ${kind.toUpperCase()} checkpoint (epoch ${epochDone}, ${Object.keys(loaded.tensors).length} tensors)`;
}

// ---- prediction on the drawing pad --------------------------------------------------------------------

async function predict(pixels: Float32Array): Promise<Float32Array> {
  if (!model) throw new Error('no model yet');
  const was = model.training;
  model.eval();
  const x = sg.tensor(pixels, [1, 1, 28, 28]);
  const probs = sg.softmax(model.forward(x), -1);
  const p = (await probs.data()) as Float32Array;
  model.train(was);
  x.dispose();
  probs.dispose();
  return p;
}

// ---- the page ------------------------------------------------------------------------------------------

interface Ui {
  setStat(name: string, value: string): void;
  showSamples(ds: sg.data.Dataset, predictions?: Int32Array): void;
}

function buildUi(): { ui: Ui; pad: ReturnType<typeof drawPad> } {
  const setup = $('setup');
  const modelSel = select('model', [['mlp', `MLP 784→${testMode ? 64 : 128}→10`], ['cnn', 'CNN conv8·conv16·linear']], DEFAULTS.model);
  const countSel = select('digits', [['512', '512'], ['2000', '2,000'], ['5000', '5,000'], ['10000', '10,000 (all)']], String(DEFAULTS.count));
  const epochs = numberInput('epochs', DEFAULTS.epochs, { min: 1, max: 100, step: 1 });
  const batch = select('batch size', [['16', '16'], ['32', '32'], ['64', '64'], ['128', '128'], ['256', '256']], String(DEFAULTS.batchSize));
  const optSel = select('optimizer', [['adam', 'Adam'], ['adamW', 'AdamW (wd 0.01)'], ['sgd', 'SGD + momentum 0.9'], ['rmsprop', 'RMSprop']], DEFAULTS.optimizer);
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
    showSamples(ds, predictions) {
      samples.replaceChildren();
      for (let i = 0; i < Math.min(24, ds.length); i++) {
        const c = el('canvas', { style: 'width:42px; height:42px; image-rendering: pixelated; border-radius: 3px' });
        showDigit(c, ds.x.subarray(i * 784, (i + 1) * 784));
        const p = predictions?.[i];
        const ok = p === ds.y[i];
        samples.append(el('div', { style: 'text-align:center; font-size:11px' }, c,
          el('div', { class: 'mono' }, `${ds.y[i]}`, p === undefined ? null : el('span', { style: `color:${ok ? 'var(--good)' : 'var(--bad)'}` }, ` → ${p}`))));
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
      if (!px || !model) return showBars(undefined);
      showBars(await predict(px));
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
      stopRequested = true;
      paused = false;
      resume?.();
      await running;
    }
    stopRequested = false;
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
    if (!paused) resume?.();
  });
  saveBtn.addEventListener('click', busy(async () => {
    sg.io.downloadCheckpoint(await checkpoint(), CHECKPOINT_NAME);
    return `downloading ${CHECKPOINT_NAME}`;
  }));
  opfsSave.addEventListener('click', busy(async () => {
    await sg.io.saveToOPFS(await checkpoint(), CHECKPOINT_NAME);
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

/** Test mode: check the checkpoint round trip (bytes and OPFS) and the drawing pad, after training. */
async function selfTest(pad: ReturnType<typeof drawPad>): Promise<void> {
  const ds = await sg.data.mnist({ count: 64, seed: 7 });
  const before = await sg.train.evaluate(model!, ds, { loss: 'crossEntropy' });
  const bytes = await checkpoint();
  await sg.io.saveToOPFS(bytes, CHECKPOINT_NAME);
  const back = await sg.io.loadFromOPFS(CHECKPOINT_NAME);
  // Scramble the weights, then restore them from the OPFS copy.
  for (const t of model!.parameters()) await sg.assign(t, sg.zerosLike(t));
  const zeroed = await sg.train.evaluate(model!, ds, { loss: 'crossEntropy' });
  log(await restore(back));
  const after = await sg.train.evaluate(model!, ds, { loss: 'crossEntropy' });
  window.__demo.result.checkpoint = { bytes: bytes.length, opfsSame: back.length === bytes.length && back.every((b, i) => b === bytes[i]), lossBefore: before.loss, lossZeroed: zeroed.loss, lossAfter: after.loss };
  // Draw a "1" on the pad and wait for the prediction.
  pad.stroke([[140, 40], [142, 120], [140, 240]]);
  for (let i = 0; i < 100 && !window.__demo.result.drawn; i++) await new Promise((r) => setTimeout(r, 50));
}

start('mnist', async () => {
  const { pad } = buildUi();
  ($('start') as HTMLButtonElement).click();
  if (testMode) {
    await new Promise((r) => setTimeout(r, 0));
    await running;
    if (window.__demo.status === 'error') return;
    await selfTest(pad);
  }
});
