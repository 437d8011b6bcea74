// Compress a model: the MNIST CNN (or MLP), trained here or loaded from the MNIST page's checkpoint, then
//
//   pruned        sg.nn.prune.globalUnstructured / l1Unstructured / lnStructured at the slider's amount,
//                 always from the unpruned weights (the model is rebuilt from a host copy of its state);
//                 each layer's weight_mask is drawn and the test accuracy plotted against the sparsity
//   fine-tuned    one epoch of sg.train.fit on the pruned model: weight_orig trains, the mask stays
//   quantised     sg.quantize(current model, { calibration }) → int8 Linear / Conv2d layers; size
//                 (sizeBytes vs f32 parameters), accuracy and the time of a batch, f32 against int8 with
//                 each WGSL dot product the adapter has ('dot4' = dot4I8Packed, 'unpack' = portable)
//   evaluated     sg.train.evaluate(model, test) → accuracy and one-vs-rest ROC / PR curves (shadergrad/vis)
//
// Everything runs on the page's thread, one operation at a time (a queue): slider moves made while an
// operation runs are merged into one. The test digits are the 1,000 the MNIST page holds out for
// validation (its seeded split of all 10,000), so its checkpoint, trained with its default 10,000
// digits, has not seen them. In test mode (?test=1) the page drives its own controls and reports to
// window.__demo; demos/test/run.mjs checks the report and works the controls itself too.
import * as sg from 'shadergrad';
import * as vis from '../../src/vis/index.js'; // shadergrad/vis (the pages use the library's source)
import { $, el, fmt, numberInput, select, start, testMode } from '../shared/ui.js';
import { lineChart } from '../shared/chart.js';
import { buildModel, type ModelKind } from '../mnist/model.js';
import { median } from '../../bench/steps.js'; // the benches' median (the bench page imports bench/ too)

/** The file the MNIST page writes to the origin private file system ("Save to OPFS"). */
const MNIST_CHECKPOINT = 'shadergrad-mnist.safetensors';
const HIDDEN = 128; // the MLP's hidden units when trained here (a loaded checkpoint says its own)
const TIME_BATCH = 256;
const TIME_REPS = testMode ? 3 : 7;
const DEFAULTS = testMode ? { model: 'cnn' as ModelKind, count: 800, epochs: 2 } : { model: 'cnn' as ModelKind, count: 9000, epochs: 3 };

type Method = 'global' | 'layer' | 'structured';
const METHODS: [Method, string][] = [
  ['global', 'global L1, unstructured'],
  ['layer', 'L1 per layer, unstructured'],
  ['structured', 'L2 channels / units (structured)'],
];
const METHOD_CALL: Record<Method, string> = {
  global: 'sg.nn.prune.globalUnstructured(every weight, { amount })',
  layer: 'sg.nn.prune.l1Unstructured(layer, \'weight\', { amount }) on each layer',
  structured: 'sg.nn.prune.lnStructured(layer, \'weight\', { amount, n: 2, dim: 0 }) on all but the last layer',
};
const COLORS: Record<Method, string> = { global: '#2f6fdb', layer: '#1f9d55', structured: '#b7791f' };

interface HostTensor {
  shape: number[];
  dtype: 'f32' | 'i32';
  data: Float32Array | Int32Array;
}

/** The unpruned model: what every pruning starts from. */
interface Base {
  kind: ModelKind;
  hidden: number;
  state: Record<string, HostTensor>;
  source: string;
  accuracy: number;
  parameters: number;
}

interface LayerMask {
  name: string;
  kind: string;
  shape: number[];
  zeros: number;
  total: number;
}

interface Pruned {
  method: Method;
  amount: number;
  /** Masked-out weights over all weights of the Linear / Conv2d layers. */
  sparsity: number;
  zeros: number;
  total: number;
  layers: LayerMask[];
  accuracy: number;
  rocAuc: number;
  averagePrecision: number;
  fineTuned?: boolean;
  /** Structured pruning: sg.nn.prune.compact's smaller model (parameters, and its test accuracy: the same). */
  compact?: { parametersBefore: number; parametersAfter: number; accuracy: number; constantMaps: number } | { error: string };
}

interface Int8Report {
  dot: string;
  kernel: string;
  dot4Available: boolean;
  layers: string[];
  bytes: { f32: number; int8: number };
  accuracy: { f32: number; int8: number };
  /** Test predictions on which the f32 and int8 models agree. */
  agreement: number;
  /** Median ms for a batch of TIME_BATCH digits (forward + read-back), per version. */
  ms: Record<string, number>;
  rocAuc: { f32: number; int8: number };
  sparsity: number;
}

// ---- data ------------------------------------------------------------------------------------------------

interface Digits {
  train: sg.data.Dataset;
  test: sg.data.Dataset;
}
let digitsP: Promise<Digits> | undefined;
/** All 10,000 digits, split as the MNIST page's worker splits them (90 / 10, stratified, seed 1). */
const digits = () => (digitsP ??= sg.data.mnist({ count: 10000, seed: 1 }).then((ds) => {
  const parts = sg.data.trainValTestSplit(ds, { val: 0.1, seed: 1, stratify: true });
  return { train: parts.train, test: parts.val };
}));

/** The first n samples of a data set. */
function head(ds: sg.data.Dataset, n: number): sg.data.Dataset {
  const k = Math.min(n, ds.length);
  const per = ds.xShape.reduce((a, b) => a * b, 1);
  return { ...ds, x: ds.x.subarray(0, k * per) as Float32Array, y: (ds.y as Int32Array).subarray(0, k), length: k };
}

// ---- page state --------------------------------------------------------------------------------------

let base: Base | undefined;
let current: sg.nn.Module | undefined;
let pruned: Pruned | undefined;
let quantized: { model: sg.QuantizedModule; report: Int8Report; evaluation: sg.train.Evaluation } | undefined;
let evalF32: sg.train.Evaluation | undefined;
let curvesOf: 'f32' | 'int8' = 'f32';
const points: Record<Method, [number, number][]> = { global: [], layer: [], structured: [] };
const fineTunedPoints: [number, number][] = [];

const log = (line: string) => {
  const l = $('log');
  l.textContent += `${line}\n`;
  l.scrollTop = l.scrollHeight;
};
const pct = (v: number, d = 1) => `${(100 * v).toFixed(d)} %`;
const bytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

// One operation at a time: training, loading, pruning, fine-tuning and quantising share the model.
let tail: Promise<unknown> = Promise.resolve();
let busyWith: string | null = null;
function enqueue<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const p = tail.then(async () => {
    busyWith = what;
    ui.refresh();
    try {
      return await fn();
    } finally {
      busyWith = null;
      ui.refresh();
    }
  });
  tail = p.catch(() => undefined);
  return p;
}
/** Resolves when the queue is empty (test mode and the test driver wait on it). */
const idle = async () => {
  for (;;) {
    const t = tail;
    await t;
    if (t === tail) return;
  }
};

// ---- models ----------------------------------------------------------------------------------------------

const weightLayers = (m: sg.nn.Module): [string, sg.nn.Module][] =>
  m.namedChildren().filter(([, c]) => c.kind === 'Linear' || c.kind === 'Conv2d');

function disposeModel(m: sg.nn.Module | undefined): void {
  if (m) for (const t of Object.values(m.stateDict())) t.dispose();
}

async function hostState(m: sg.nn.Module): Promise<Record<string, HostTensor>> {
  const entries = Object.entries(m.stateDict());
  const values = await sg.read(...entries.map(([, t]) => t));
  return Object.fromEntries(entries.map(([k, t], i) => [k, { shape: [...t.shape], dtype: t.dtype as 'f32' | 'i32', data: values[i] }]));
}

/** A fresh model with the base's unpruned weights, in eval mode. */
async function fromBase(): Promise<sg.nn.Module> {
  const b = base!;
  const m = buildModel(b.kind, b.hidden);
  await m.loadStateDict(b.state);
  m.eval();
  return m;
}

async function evaluate(m: sg.nn.Module): Promise<sg.train.Evaluation> {
  const { test } = await digits();
  return sg.train.evaluate(m, test, { batchSize: 250 });
}

/** Make `m` the base model (it is disposed: pruning always rebuilds from the host copy). */
async function setBase(m: sg.nn.Module, kind: ModelKind, hidden: number, source: string): Promise<void> {
  m.eval();
  const state = await hostState(m);
  const parameters = m.parameters().reduce((n, p) => n + p.size, 0);
  disposeModel(m);
  base = { kind, hidden, state, source, accuracy: NaN, parameters };
  for (const k of Object.keys(points) as Method[]) points[k] = [];
  fineTunedPoints.length = 0;
  dropInt8();
  await prune(ui.method(), 0);
  base.accuracy = pruned!.accuracy;
  log(`${source}: ${kind.toUpperCase()}, ${fmt(parameters)} parameters, test accuracy ${pct(base.accuracy, 2)} (ROC AUC ${pruned!.rocAuc.toFixed(4)})`);
  window.__demo.result.base = { kind, hidden, parameters, accuracy: base.accuracy, rocAuc: pruned!.rocAuc, source };
}

async function train(kind: ModelKind, count: number, epochs: number): Promise<void> {
  const { train: all } = await digits();
  const data = head(all, count);
  sg.manualSeed(1);
  const m = buildModel(kind, HIDDEN);
  const optimizer = sg.optim.adam(m.parameters(), { lr: 2e-3 });
  ui.setStat('phase', `training on ${data.length} digits…`);
  const t0 = performance.now();
  const losses: number[] = [];
  await sg.train.fit(m, {
    data, loss: 'crossEntropy', optimizer, epochs, batchSize: 64, shuffle: true, seed: 1,
    onReadBack: (read) => {
      for (const r of read) losses.push(r.loss);
      ui.setStat('phase', `training: epoch ${read[read.length - 1].epoch}, loss ${losses[losses.length - 1].toFixed(3)}`);
    },
    onEpochEnd: (r) => log(`epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)} (${fmt(r.samplesPerSecond)} samples/s)`),
  });
  optimizer.dispose();
  window.__demo.result.training = { losses, seconds: (performance.now() - t0) / 1000 };
  await setBase(m, kind, HIDDEN, `trained here on ${data.length} digits, ${epochs} epoch${epochs === 1 ? '' : 's'}`);
}

/** Load a checkpoint written by the MNIST page (or sg.save of the same model). Throws a readable message. */
async function loadBytes(bytes: Uint8Array, label: string): Promise<void> {
  const ck = await sg.io.loadCheckpoint(bytes);
  const named = ck.metadata.mnistModel;
  const first = ck.tensors['0.weight'];
  const kind: ModelKind = named === 'cnn' || named === 'mlp' ? named : first?.shape.length === 4 ? 'cnn' : 'mlp';
  const hidden = kind === 'mlp' ? ck.tensors['1.weight']?.shape[0] ?? HIDDEN : HIDDEN;
  const m = buildModel(kind, hidden);
  try {
    await sg.load(m, bytes); // names every missing / unexpected tensor and shape mismatch
  } catch (e) {
    disposeModel(m);
    throw e;
  }
  await setBase(m, kind, hidden, `loaded ${label}${ck.metadata.epoch !== undefined ? ` (epoch ${ck.metadata.epoch})` : ''}`);
}

// ---- pruning ---------------------------------------------------------------------------------------------

async function prune(method: Method, amount: number): Promise<void> {
  const m = await fromBase();
  const layers = weightLayers(m);
  if (amount > 0) {
    if (method === 'global') await sg.nn.prune.globalUnstructured(layers.map(([, l]) => [l, 'weight']), { amount });
    else if (method === 'layer') for (const [, l] of layers) await sg.nn.prune.l1Unstructured(l, 'weight', { amount });
    else for (const [, l] of layers.slice(0, -1)) await sg.nn.prune.lnStructured(l, 'weight', { amount, n: 2, dim: 0 });
  }
  disposeModel(current);
  current = m;
  dropInt8();
  await measure(method, amount, false);
}

/** Evaluate the current model, count its masks, draw them and the chart. */
async function measure(method: Method, amount: number, fineTuned: boolean): Promise<void> {
  const m = current!;
  const layers: LayerMask[] = [];
  const drawn: { layer: LayerMask; weight: Float32Array; mask: Float32Array }[] = [];
  for (const [name, l] of weightLayers(m)) {
    // The weight as stored: weight_orig beside weight_mask once pruned (reading .weight would compute orig × mask).
    const sd = l.stateDict();
    const w = sd.weight_orig ?? sd.weight;
    const maskT = sd.weight_mask;
    const [wv, mv] = await sg.read(w, ...(maskT ? [maskT] : []));
    const mask = (mv as Float32Array | undefined) ?? new Float32Array(w.size).fill(1);
    let zeros = 0;
    for (const v of mask) if (v === 0) zeros++;
    const layer = { name: `${name} ${l.kind}`, kind: l.kind, shape: [...w.shape], zeros, total: w.size };
    layers.push(layer);
    drawn.push({ layer, weight: wv as Float32Array, mask });
  }
  const zeros = layers.reduce((n, l) => n + l.zeros, 0);
  const total = layers.reduce((n, l) => n + l.total, 0);
  const ev = await evaluate(m);
  evalF32 = ev;
  pruned = { method, amount, sparsity: zeros / total, zeros, total, layers, accuracy: ev.accuracy!, rocAuc: ev.rocAuc!, averagePrecision: ev.averagePrecision!, fineTuned };
  if (method === 'structured' && zeros > 0) pruned.compact = await compacted(m);
  (fineTuned ? fineTunedPoints : points[method]).push([pruned.sparsity, pruned.accuracy]);
  drawMasks(drawn);
  drawChart();
  curvesOf = 'f32';
  drawCurves();
  const r = window.__demo.result;
  (r.pruneHistory as Pruned[] | undefined)?.push(pruned) ?? (r.pruneHistory = [pruned]);
  r.pruned = pruned;
  ui.refresh();
}

/**
 * Structured pruning shrinks the layers for real: sg.nn.prune.compact drops the zeroed channels / units
 * (and the next layer's inputs they fed), a smaller model with the same outputs — evaluated to show it.
 */
async function compacted(m: sg.nn.Module): Promise<NonNullable<Pruned['compact']>> {
  try {
    const c = await sg.nn.prune.compact(m);
    const ev = await evaluate(c.model);
    disposeModel(c.model);
    return { parametersBefore: c.parametersBefore, parametersAfter: c.parametersAfter, accuracy: ev.accuracy!, constantMaps: c.layers.filter((l) => l.constantMap).length };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function fineTune(epochs: number): Promise<void> {
  const { train: all } = await digits();
  const m = current!;
  const p = pruned!;
  const before = p.accuracy;
  const optimizer = sg.optim.adam(m.parameters(), { lr: 1e-3 });
  const data = head(all, ui.count());
  ui.setStat('phase', `fine-tuning the pruned model on ${data.length} digits…`);
  await sg.train.fit(m, { data, loss: 'crossEntropy', optimizer, epochs, batchSize: 64, shuffle: true, seed: 2 });
  optimizer.dispose();
  m.eval();
  dropInt8();
  await measure(p.method, p.amount, true);
  log(`fine-tuned ${epochs} epoch at sparsity ${pct(p.sparsity)}: accuracy ${pct(before, 2)} → ${pct(pruned!.accuracy, 2)} (the masks stay: pruned weights are still zero)`);
  window.__demo.result.fineTune = { before, after: pruned!.accuracy, zerosBefore: p.zeros, zerosAfter: pruned!.zeros, sparsity: pruned!.sparsity };
}

// ---- int8 -----------------------------------------------------------------------------------------------

function dropInt8(): void {
  quantized = undefined;
  $('int8-table').replaceChildren();
}

/** Forward + read-back of one batch, in ms; the versions alternate so that drift hits them alike. */
async function timeVersions(versions: [string, () => sg.nn.Module][], x: sg.Tensor): Promise<Record<string, number>> {
  const times = new Map(versions.map(([k]) => [k, [] as number[]]));
  for (let r = 0; r < TIME_REPS + 1; r++) {
    for (const [k, pick] of versions) {
      const m = pick();
      const t = performance.now();
      const y = m.forward(x);
      await y.data();
      y.dispose();
      if (r > 0) times.get(k)!.push(performance.now() - t); // the first round compiles the pipelines
    }
  }
  return Object.fromEntries([...times].map(([k, v]) => [k, median(v)]));
}

async function quantize(): Promise<void> {
  const { train: all, test } = await digits();
  const m = current!;
  ui.setStat('phase', 'quantising: calibrating on 8 batches of training digits…');
  const q = await sg.quantize(m, { calibration: head(all, 512), observer: 'minmax', batches: 8, batchSize: 64 });
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const dot4Available = !!gpu?.wgslLanguageFeatures?.has('packed_4x8_integer_dot_product');
  ui.setStat('phase', 'quantising: timing f32 against int8…');
  const x = sg.tensor(test.x.subarray(0, TIME_BATCH * 784) as Float32Array, [TIME_BATCH, 1, 28, 28]);
  const versions: [string, () => sg.nn.Module][] = [['f32', () => m], ['int8 unpack', () => q.setDot('unpack')]];
  if (dot4Available) versions.push(['int8 dot4', () => q.setDot('dot4')]);
  const ms = await timeVersions(versions, x);
  x.dispose();
  q.setDot('auto');
  const evaluation = await evaluate(q);
  const f32 = evalF32!;
  let agree = 0;
  for (let i = 0; i < test.length; i++) if (f32.predictions![i] === evaluation.predictions![i]) agree++;
  const report: Int8Report = {
    dot: q.dot,
    kernel: q.dot === 'dot4' ? 'dot4I8Packed (WGSL language feature packed_4x8_integer_dot_product)' : 'portable: unpack with extractBits, multiply in i32',
    dot4Available,
    layers: [...q.layers.keys()],
    bytes: { f32: 4 * m.parameters().reduce((n, p) => n + p.size, 0), int8: q.sizeBytes() },
    accuracy: { f32: f32.accuracy!, int8: evaluation.accuracy! },
    agreement: agree / test.length,
    ms,
    rocAuc: { f32: f32.rocAuc!, int8: evaluation.rocAuc! },
    sparsity: pruned!.sparsity,
  };
  quantized = { model: q, report, evaluation };
  drawInt8(report);
  curvesOf = 'int8';
  drawCurves();
  log(`int8 (${report.layers.length} layers, ${report.dot}): ${bytes(report.bytes.f32)} → ${bytes(report.bytes.int8)}, accuracy ${pct(report.accuracy.f32, 2)} → ${pct(report.accuracy.int8, 2)}, ` +
    `${pct(report.agreement, 1)} of predictions unchanged; ${Object.entries(ms).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')} per ${TIME_BATCH} digits`);
  window.__demo.result.int8 = report;
}

function drawInt8(r: Int8Report): void {
  const row = (cells: (string | Node)[], cls = '') => el('tr', { class: cls }, ...cells.map((c, i) => el('td', { class: i > 0 && i < 4 ? 'num' : '' }, c)));
  const rows = [row(['f32', bytes(r.bytes.f32), pct(r.accuracy.f32, 2), `${r.ms.f32.toFixed(2)} ms`, 'f32 matmul / conv kernels'])];
  for (const [k, v] of Object.entries(r.ms)) {
    if (k === 'f32') continue;
    const dot = k.replace('int8 ', '');
    rows.push(row([`${k}${dot === r.dot ? ' (auto)' : ''}`, bytes(r.bytes.int8), pct(r.accuracy.int8, 2), `${v.toFixed(2)} ms`,
      dot === 'dot4' ? 'dot4I8Packed' : 'extractBits + i32 multiply'], dot === r.dot ? 'selected' : ''));
  }
  const table = el('table', { class: 'data', id: 'int8-results' },
    el('thead', {}, el('tr', {}, ...['version', 'weights', 'test accuracy', `ms per ${TIME_BATCH} digits`, 'kernel'].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows));
  const note = el('p', { class: 'muted' },
    `${r.layers.length} layers in int8 (${r.layers.join(', ')}), at ${pct(r.sparsity)} sparsity; ${(r.bytes.f32 / r.bytes.int8).toFixed(2)}× smaller; ` +
    `${pct(r.agreement)} of the test predictions unchanged. The int8 kernel that ran (auto): ${r.kernel}` +
    `${r.dot4Available ? '' : ' — this adapter lacks packed_4x8_integer_dot_product, so dot4I8Packed cannot run here'}. ` +
    'Times are medians of alternating runs in this page; a software adapter (SwiftShader) pays for int8 unpacking on the CPU.');
  $('int8-table').replaceChildren(table, note);
}

// ---- drawing ----------------------------------------------------------------------------------------------

/**
 * A layer's weights as an image, one pixel a weight: kept ones blue (+) or red (−), brighter the larger,
 * pruned ones left blank. Conv2d [O, C, kh, kw]: a row of C kernels per output channel. Linear [O, 784]:
 * a 28 × 28 tile per output unit (the input image for the MLP; the CNN's 16 × 7 × 7 features as a 4 × 4
 * grid of channels). Other Linear layers: O rows of inputs.
 */
function maskImage(shape: number[], weight: Float32Array, mask: Float32Array, afterConv: boolean): ImageData {
  let maxAbs = 0;
  for (const v of weight) maxAbs = Math.max(maxAbs, Math.abs(v));
  const [O, I] = shape;
  let width: number;
  let height: number;
  let at: (o: number, j: number) => [number, number];
  if (shape.length === 4) {
    const [, C, kh, kw] = shape;
    width = C * (kw + 1) + 1;
    height = O * (kh + 1) + 1;
    at = (o, j) => {
      const c = Math.floor(j / (kh * kw));
      const r = j % (kh * kw);
      return [1 + c * (kw + 1) + (r % kw), 1 + o * (kh + 1) + Math.floor(r / kw)];
    };
  } else if (I === 784) {
    const cols = Math.min(O, 16);
    width = cols * 29 + 1;
    height = Math.ceil(O / cols) * 29 + 1;
    at = (o, j) => {
      let x = j % 28;
      let y = Math.floor(j / 28);
      if (afterConv) {
        const c = Math.floor(j / 49);
        x = (c % 4) * 7 + (j % 7);
        y = Math.floor(c / 4) * 7 + Math.floor((j % 49) / 7);
      }
      return [1 + (o % cols) * 29 + x, 1 + Math.floor(o / cols) * 29 + y];
    };
  } else {
    width = I + 2;
    height = O * 2 + 1;
    at = (o, j) => [1 + j, 1 + 2 * o];
  }
  const img = new ImageData(width, height);
  const per = weight.length / O;
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < per; j++) {
      const [x, y] = at(o, j);
      const p = 4 * (y * width + x);
      const i = o * per + j;
      if (mask[i] === 0) {
        img.data.set([236, 239, 243, 255], p); // pruned: a pale cell, distinct from the white gaps
        continue;
      }
      const s = 0.25 + 0.75 * Math.min(1, Math.abs(weight[i]) / (maxAbs || 1));
      const [r, g, b] = weight[i] >= 0 ? [47, 111, 219] : [214, 69, 69];
      img.data.set([Math.round(255 - s * (255 - r)), Math.round(255 - s * (255 - g)), Math.round(255 - s * (255 - b)), 255], p);
    }
  }
  return img;
}

function drawMasks(layers: { layer: LayerMask; weight: Float32Array; mask: Float32Array }[]): void {
  const box = $('masks');
  box.replaceChildren();
  let sawConv = false;
  for (const { layer, weight, mask } of layers) {
    const img = maskImage(layer.shape, weight, mask, sawConv);
    if (layer.kind === 'Conv2d') sawConv = true;
    const canvas = el('canvas', { class: 'mask', 'data-layer': layer.name, width: img.width, height: img.height });
    const scale = Math.max(1, Math.min(8, Math.round(600 / img.width))); // max-width: 100 % narrows it where the panel is smaller
    canvas.style.cssText = `width:${img.width * scale}px; max-width:100%; image-rendering:pixelated; border:1px solid var(--line); display:block`;
    canvas.getContext('2d')!.putImageData(img, 0, 0);
    box.append(el('div', { style: 'margin: 0 0 12px' },
      el('div', { class: 'muted', style: 'font-size:12px; margin-bottom:3px' },
        `${layer.name} [${layer.shape.join(', ')}]: ${fmt(layer.total - layer.zeros)} of ${fmt(layer.total)} kept (${pct(layer.zeros / layer.total)} pruned)`),
      canvas));
  }
}

function drawChart(): void {
  const dense = base ? [[0, base.accuracy], [1, base.accuracy]] as [number, number][] : [];
  const sorted = (p: [number, number][]) => [...p].sort((a, b) => a[0] - b[0]);
  lineChart($('sparsity-chart') as HTMLCanvasElement, [
    ...METHODS.map(([m, name]) => ({ name, color: COLORS[m], points: sorted(points[m]) })),
    { name: 'fine-tuned 1 epoch', color: '#8f3fb5', points: sorted(fineTunedPoints) },
    { name: 'unpruned', color: '#9aa5b1', points: Number.isFinite(base?.accuracy) ? dense : [], dashed: true },
  ], { xLabel: 'sparsity (fraction of weights pruned)', yLabel: 'test accuracy', markers: true, yMax: 1 });
}

let roc: vis.Chart<vis.CurveData[]> | undefined;
let pr: vis.Chart<vis.CurveData[]> | undefined;
const classNames = Array.from({ length: 10 }, (_, d) => `digit ${d}`);

function drawCurves(): void {
  const ev = curvesOf === 'int8' && quantized ? quantized.evaluation : evalF32;
  if (!ev?.curves) return;
  roc ??= vis.rocChart($('roc'), [], { classNames, height: 300 });
  pr ??= vis.prChart($('pr'), [], { classNames, height: 300 });
  roc.update(ev.curves);
  pr.update(ev.curves);
  roc.flush();
  pr.flush();
  const what = curvesOf === 'int8' && quantized ? 'the int8 model' : pruned && pruned.zeros > 0 ? `the f32 model, ${pct(pruned.sparsity)} pruned` : 'the f32 model, unpruned';
  $('curves-of').textContent = `${what}: macro AUC ${ev.rocAuc!.toFixed(4)}, AP ${ev.averagePrecision!.toFixed(4)}`;
  window.__demo.result.curves = { of: curvesOf, classes: ev.curves.length, rocAuc: ev.rocAuc, averagePrecision: ev.averagePrecision, perClass: ev.curves.map((c) => c.rocAuc) };
}

// ---- controls ---------------------------------------------------------------------------------------------

interface Ui {
  method(): Method;
  count(): number;
  setStat(name: string, value: string): void;
  refresh(): void;
}

let ui: Ui;

function buildUi(): Ui {
  const modelSel = select('model', [['cnn', 'CNN conv8·conv16·linear'], ['mlp', `MLP 784→${HIDDEN}→10`]], DEFAULTS.model);
  const countSel = select('training digits', [['800', '800'], ['2000', '2,000'], ['5000', '5,000'], ['9000', '9,000 (all but the test digits)']], String(DEFAULTS.count));
  const epochs = numberInput('epochs', DEFAULTS.epochs, { min: 1, max: 20, step: 1 });
  const trainBtn = el('button', { class: 'primary', id: 'train' }, 'Train');
  const opfsBtn = el('button', { id: 'opfs-load', title: `${MNIST_CHECKPOINT} in the origin private file system (the MNIST page's "Save to OPFS")` }, 'Load the MNIST page\'s checkpoint');
  const fileInput = el('input', { type: 'file', id: 'file-input', accept: '.safetensors', style: 'display:none' });
  const fileBtn = el('button', { id: 'file-load' }, 'Load a file…');
  const loadStatus = el('div', { class: 'muted', id: 'load-status', style: 'margin-top: 8px' }, 'No model yet: train one, or load a checkpoint saved by the MNIST page.');
  $('setup').append(el('div', { class: 'controls' }, modelSel.root, countSel.root, epochs.root, trainBtn, opfsBtn, fileBtn, fileInput), loadStatus);

  const methodSel = select('method', METHODS.map(([m, n]) => [m, n]), 'global');
  methodSel.input.id = 'method';
  const slider = el('input', { type: 'range', id: 'amount', min: 0, max: 0.95, step: 0.05, value: '0', style: 'width: 220px' });
  const amountLabel = el('b', { class: 'mono', id: 'amount-label' }, '0 %');
  const fineBtn = el('button', { id: 'finetune' }, 'Fine-tune 1 epoch');
  const call = el('div', { class: 'muted mono', id: 'prune-call', style: 'margin: 6px 0 8px; font-size: 12px' }, METHOD_CALL.global);
  $('prune-controls').append(el('div', { class: 'controls' }, methodSel.root,
    el('label', { class: 'field' }, el('span', {}, 'amount'), el('span', { style: 'display:flex; gap:8px; align-items:center' }, slider, amountLabel)), fineBtn), call);

  const int8Btn = el('button', { class: 'primary', id: 'quantize' }, 'Quantize to int8');
  const downloadBtn = el('button', { id: 'download-int8' }, 'Download int8 .safetensors');
  const curvesSel = select('curves of', [['f32', 'f32 (current pruning)'], ['int8', 'int8']], 'f32');
  curvesSel.input.id = 'curves-select';
  $('int8-controls').append(el('div', { class: 'controls' }, int8Btn, downloadBtn, curvesSel.root));

  const statEls = new Map<string, HTMLElement>();
  for (const name of ['phase', 'model', 'parameters', 'unpruned accuracy', 'sparsity', 'accuracy', 'ROC AUC', 'compacted']) {
    const b = el('b', {}, '–');
    statEls.set(name, b);
    $('stats').append(el('span', {}, `${name} `, b));
  }
  const setStat = (name: string, value: string) => {
    statEls.get(name)!.textContent = value;
  };

  const report = (e: unknown) => {
    const message = (e as Error).message ?? String(e);
    log(`error: ${message}`);
    window.__demo.result.lastError = message;
    return message;
  };
  // Pruning at the slider: moves made while an operation runs are merged into the latest.
  let wanted: { method: Method; amount: number } | undefined;
  const schedulePrune = () => {
    amountLabel.textContent = pct(Number(slider.value), 0);
    if (!base) return;
    const queued = wanted !== undefined;
    wanted = { method: methodSel.input.value as Method, amount: Number(slider.value) };
    if (queued) return;
    void enqueue('prune', async () => {
      const w = wanted!;
      wanted = undefined;
      await prune(w.method, w.amount);
    }).catch((e) => report(e));
  };
  slider.addEventListener('input', schedulePrune);
  slider.addEventListener('change', schedulePrune);
  methodSel.input.addEventListener('change', () => {
    call.textContent = METHOD_CALL[methodSel.input.value as Method];
    schedulePrune();
  });
  const loading = (what: string, run: () => Promise<void>) => enqueue(what, async () => {
    loadStatus.textContent = `${what}…`;
    try {
      await run();
      loadStatus.textContent = `${base!.source}: ${base!.kind.toUpperCase()}, test accuracy ${pct(base!.accuracy, 2)}.`;
      slider.value = '0';
      amountLabel.textContent = '0 %';
    } catch (e) {
      loadStatus.textContent = `Could not ${what}: ${report(e)}`;
    }
  });
  trainBtn.addEventListener('click', () => void loading('train', () => train(modelSel.input.value as ModelKind, Number(countSel.input.value), Math.max(1, Math.round(Number(epochs.input.value))))));
  opfsBtn.addEventListener('click', () => void loading('load the MNIST page\'s checkpoint', async () => loadBytes(await sg.io.loadFromOPFS(MNIST_CHECKPOINT), `the MNIST page's checkpoint (OPFS ${MNIST_CHECKPOINT})`)));
  fileBtn.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) void loading(`load ${f.name}`, async () => loadBytes(new Uint8Array(await f.arrayBuffer()), f.name));
    fileInput.value = '';
  });
  fineBtn.addEventListener('click', () => void enqueue('fine-tune', () => fineTune(1)).catch(report));
  int8Btn.addEventListener('click', () => void enqueue('quantize', quantize).catch(report));
  downloadBtn.addEventListener('click', () => void enqueue('download', async () => {
    const q = quantized!;
    const file = await sg.quantizedBytes(q.model, { demo: 'compress', mnistModel: base!.kind, sparsity: q.report.sparsity });
    sg.io.downloadCheckpoint(file, `mnist-${base!.kind}-int8.safetensors`);
    log(`downloading mnist-${base!.kind}-int8.safetensors (${bytes(file.length)}; sg.loadQuantized reads it back)`);
  }).catch(report));
  curvesSel.input.addEventListener('change', () => {
    curvesOf = curvesSel.input.value === 'int8' && quantized ? 'int8' : 'f32';
    drawCurves();
  });

  return {
    method: () => methodSel.input.value as Method,
    count: () => Number(countSel.input.value),
    setStat,
    refresh() {
      const has = !!base;
      const busy = busyWith !== null;
      for (const b of [trainBtn, opfsBtn, fileBtn]) b.disabled = busy;
      slider.disabled = !has;
      methodSel.input.disabled = !has;
      fineBtn.disabled = busy || !has || !pruned || pruned.zeros === 0;
      int8Btn.disabled = busy || !has;
      downloadBtn.disabled = busy || !quantized;
      curvesSel.input.disabled = !quantized;
      curvesSel.input.value = curvesOf;
      if (!busy) setStat('phase', has ? 'ready' : 'no model');
      else if (busyWith === 'prune') setStat('phase', 'pruning and evaluating…');
      if (base) {
        setStat('model', `${base.kind.toUpperCase()}${base.kind === 'mlp' ? ` (${base.hidden} hidden)` : ''}`);
        setStat('parameters', fmt(base.parameters));
        setStat('unpruned accuracy', Number.isFinite(base.accuracy) ? pct(base.accuracy, 2) : '–');
      }
      if (pruned) {
        setStat('sparsity', `${pct(pruned.sparsity)} (${pruned.method})`);
        setStat('accuracy', pct(pruned.accuracy, 2));
        setStat('ROC AUC', pruned.rocAuc.toFixed(4));
        const c = pruned.compact;
        setStat('compacted', !c ? '– (structured pruning only)' : 'error' in c ? `refused: ${c.error}`
          : `${fmt(c.parametersBefore)} → ${fmt(c.parametersAfter)} parameters, ${pct(c.accuracy, 2)}${c.constantMaps ? ` (${c.constantMaps} conv with a constant map)` : ''}`);
      }
    },
  };
}

// ---- test mode --------------------------------------------------------------------------------------------

/** Work the page's own controls as a user would, and wait for each operation to finish. */
async function selfTest(): Promise<void> {
  const r = window.__demo.result;
  const slide = async (amount: number) => {
    const s = $('amount') as HTMLInputElement;
    s.value = String(amount);
    s.dispatchEvent(new Event('input'));
    await idle();
  };
  const pick = async (method: Method) => {
    const s = $('method') as HTMLSelectElement;
    s.value = method;
    s.dispatchEvent(new Event('change'));
    await idle();
  };
  ($('train') as HTMLButtonElement).click();
  await idle();
  if (!base) throw new Error(`training failed: ${r.lastError}`);
  // Three slider moves in one go: the queue merges them into at most two prunings.
  const s = $('amount') as HTMLInputElement;
  for (const v of [0.1, 0.2, 0.3]) {
    s.value = String(v);
    s.dispatchEvent(new Event('input'));
  }
  await idle();
  r.merged = (r.pruneHistory as Pruned[]).length - 1; // prunings run for the three moves
  for (const v of [0.6, 0.9]) await slide(v);
  await pick('layer');
  await pick('structured');
  await slide(0.5);
  await pick('global');
  // No GPU memory left behind by pruning and evaluating: buffers in use after two more prunings
  // (counted without waiting for a garbage collection) are those in use before.
  await slide(0.2);
  const before = sg.stats().buffersInUse;
  await slide(0.4);
  await slide(0.2);
  r.leak = { before, after: sg.stats().buffersInUse };
  await slide(0.5);
  ($('finetune') as HTMLButtonElement).click();
  await idle();
  ($('quantize') as HTMLButtonElement).click();
  await idle();
  // Bytes for the test driver's "Load a file…" round trip: the unpruned model as the MNIST page saves it.
  const m = await fromBase();
  r.checkpoint = Array.from(await sg.io.checkpointBytes({ tensors: m.stateDict(), metadata: { demo: 'mnist', mnistModel: base.kind, epoch: DEFAULTS.epochs } }));
  disposeModel(m);
}

await start('compress', async () => {
  ui = buildUi();
  ui.refresh();
  drawChart();
  (window as unknown as { __compressIdle: () => Promise<void> }).__compressIdle = idle;
  if (testMode) await selfTest();
});
