// Mixed precision, whole training steps (compile's precision: 'mixed', #17 point 3): an MLP, a CNN
// (conv → batchNorm → relu → maxPool, twice) and a transformer encoder layer, each compiled twice from
// the same initial weights — f32 and mixed — and stepped with SGD on the same batches (an update
// proportional to the gradient, so the comparison sees the gradients' error, which Adam's
// normalisation would blow up for near-zero gradients). The mixed plan must store values as f16
// (explain rows tagged h), move fewer bytes (the MLP at batch 8 is the exception: its loss scaling reads
// and writes the gradient arena once more, more than f16 activations save), and track the f32 run:
// losses within a few per cent, the weight updates within a few per cent (relative L2). Run in Node
// and in Chromium.
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Case } from '../harness.js';

interface StepModel {
  name: string;
  build: () => sg.nn.Module;
  input: number[];
  classes: number;
  /** How far the mixed losses may drift from the f32 ones (relative) and the weight updates (relative L2). */
  lossTol: number;
  updateTol: number;
  /** Most bytes the mixed step may move, as a fraction of the f32 step's. */
  maxBytes: number;
}

const MODELS: StepModel[] = [
  {
    name: 'MLP 20-64-64-10 (relu, gelu)', input: [20], classes: 10, lossTol: 0.02, updateTol: 0.05, maxBytes: 1.2,
    build: () => sg.nn.sequential(sg.nn.linear(20, 64), sg.nn.relu(), sg.nn.linear(64, 64), sg.nn.gelu(), sg.nn.linear(64, 10)),
  },
  {
    name: 'CNN conv4-bn-relu-pool-conv8-bn-relu-pool-linear, 12×12', input: [1, 12, 12], classes: 10, lossTol: 0.02, updateTol: 0.05, maxBytes: 0.8,
    build: () => sg.nn.sequential(
      sg.nn.conv2d(1, 4, 3, { padding: 1 }), sg.nn.batchNorm2d(4), sg.nn.relu(), sg.nn.maxPool2d(2),
      sg.nn.conv2d(4, 8, 3, { padding: 1 }), sg.nn.batchNorm2d(8), sg.nn.relu(), sg.nn.maxPool2d(2),
      sg.nn.flatten(), sg.nn.linear(8 * 3 * 3, 10)),
  },
  {
    name: 'transformer encoder layer (d 32, 4 heads, T 8) + mean pool + linear', input: [8, 32], classes: 4, lossTol: 0.02, updateTol: 0.05, maxBytes: 0.9,
    build: () => {
      const layer = sg.nn.transformerEncoderLayer(32, 4, { dimFeedforward: 64, dropout: 0, batchFirst: true, activation: 'gelu' });
      const head = sg.nn.linear(32, 4);
      return sg.nn.sequential(layer, meanPool(), head);
    },
  },
];

/** Mean over the sequence axis, as a module. */
function meanPool(): sg.nn.Module {
  return new (class extends sg.nn.Module {
    constructor() {
      super('MeanPool');
    }
    forward(x: Tensor): Tensor {
      return sg.mean(x, 1);
    }
  })();
}

const B = 8;
const STEPS = 4;

function batch(m: StepModel, step: number): [Float32Array, Int32Array] {
  const n = B * m.input.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + step * 1.3) * 1.5);
  const y = Int32Array.from({ length: B }, (_, i) => (i * 7 + step) % m.classes);
  return [x, y];
}

async function run(m: StepModel, precision: 'f32' | 'mixed') {
  sg.manualSeed(5);
  const model = m.build();
  const initial = (await sg.read(...model.parameters())).flatMap((v) => Array.from(v));
  const opt = sg.optim.sgd(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const plan = await sg.compile((x: Tensor, y: Tensor) => sg.crossEntropy(model.forward(x), y), {
    inputs: [{ shape: [B, ...m.input] }, { shape: [B], dtype: 'i32' }], params: opt.params, optimizer: opt, precision,
  });
  for (let s = 0; s < STEPS; s++) plan.run(...batch(m, s));
  const losses = (await plan.flush()).map((h) => h.values.loss[0]);
  const weights = (await sg.read(...model.parameters())).flatMap((v) => Array.from(v));
  const update = weights.map((w, i) => w - initial[i]);
  const figures = plan.figures();
  const rows = plan.explain();
  const result = { losses, update, bytes: figures.bytes, halfValues: plan.halfValues, halfRows: rows.filter((r) => [...r.inputs, ...r.outputs].some((s) => s.endsWith('h'))).length, scaler: plan.scaler };
  plan.dispose();
  opt.dispose();
  return result;
}

async function compareSteps(m: StepModel): Promise<string> {
  const f = await run(m, 'f32');
  const h = await run(m, 'mixed');
  if (h.halfValues === 0 || h.halfRows === 0) return `the mixed plan stores nothing as f16 (${h.halfValues} values, ${h.halfRows} rows tagged h)`;
  if (!(h.bytes <= m.maxBytes * f.bytes)) return `mixed moves ${h.bytes} bytes per step, f32 ${f.bytes}: ratio ${(h.bytes / f.bytes).toFixed(3)} > ${m.maxBytes}`;
  if (!h.scaler || h.scaler.skippedSteps !== 0) return `loss scaler: ${JSON.stringify(h.scaler)} (expected no skipped step)`;
  for (let s = 0; s < STEPS; s++) {
    const d = Math.abs(h.losses[s] - f.losses[s]) / Math.max(1e-3, Math.abs(f.losses[s]));
    if (!(d <= m.lossTol)) return `step ${s + 1}: loss ${h.losses[s]} mixed vs ${f.losses[s]} f32 (relative ${d.toExponential(2)} > ${m.lossTol})`;
  }
  let diff = 0;
  let norm = 0;
  f.update.forEach((u, i) => {
    diff += (u - h.update[i]) ** 2;
    norm += u ** 2;
  });
  const rel = Math.sqrt(diff / norm);
  if (!(rel <= m.updateTol)) return `weight updates after ${STEPS} steps: |Δmixed − Δf32| / |Δf32| = ${rel.toExponential(3)} > ${m.updateTol}`;
  return '';
}

export const cases: Case[] = MODELS.map((m) => ({
  name: `${m.name}: mixed vs f32, ${STEPS} SGD steps`,
  inputs: [],
  fn: (x: Tensor) => x,
  check: () => compareSteps(m),
}));
