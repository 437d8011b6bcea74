// Post-training int8 quantisation (sg.quantize, src/nn/quantize.ts; kernels shaders/quant.wgsl and
// shaders/quant_dot4.wgsl; reference src/reference/quant.ts):
//   - weight scales and codes, and the activation observer's scale / zero point and codes, equal
//     PyTorch's (kernels-test/fixtures/quant/quant.json, made by make.py there with torch);
//   - the int8 linear and convolution layers equal the float64 fake-quant reference (quantise →
//     dequantise → the f32 layer) on small odd shapes, up to the f32 rounding of the final scale
//     multiply (the integer sums are exact), with both dot products: 'dot4' (dot4I8Packed) and the
//     portable 'unpack' — each test names the one that ran;
//   - a small trained MLP and CNN keep their accuracy after quantisation; sizeBytes is ~4× smaller;
//   - sg.save writes I8 weights, and loading them back gives identical outputs;
//   - the errors (training a quantized model, empty calibration, unsupported layer types, ...).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { loadFixture } from '../torch-fixtures.js';
import * as ref from '../../src/reference/quant.js';
import { host, type HostTensor } from '../../src/reference/host.js';
import { quantizePacked, PACKED_DOT_FEATURE } from '../../src/ops/quant.js';
import { wgslLanguageFeature } from '../../src/gpu/device.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import type { QuantizedLayer, QuantizedModule } from '../../src/nn/quantize.js';

interface WeightCase { name: string; shape: number[]; w: number[]; scale: number[]; zero_point: number[]; codes: number[] }
interface ActCase {
  name: string; dtype: ref.QuantDtype; batches: { shape: number[]; data: number[] }[];
  min: number; max: number; scale: number; zero_point: number; codes: number[];
}
const fixture = loadFixture<{ torch: string; weights: WeightCase[]; activations: ActCase[] }>('quant/quant.json');

let dir: string;
beforeAll(async () => {
  await sg.init({ poison: true });
  dir = mkdtempSync(join(tmpdir(), 'sg-quant-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  sg.dispose();
});

const rng = (seed: number) => new sg.Random(seed);
function randn(shape: number[], seed: number, scale = 1, offset = 0): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.fround(offset + scale * r.normal()));
}

/** Set a layer's weight (and bias) to given values. */
async function setWeights(layer: sg.nn.Linear | sg.nn.Conv2d, w: Float32Array, b?: Float32Array): Promise<void> {
  await sg.assign(layer.weight, sg.tensor(w, layer.weight.shape));
  if (b && layer.bias) await sg.assign(layer.bias, sg.tensor(b, layer.bias.shape));
}

const only = (q: QuantizedModule, path = ''): QuantizedLayer => {
  const l = q.layers.get(path);
  if (!l) throw new Error(`no quantized layer '${path}'`);
  return l;
};

// ---- against PyTorch -----------------------------------------------------------------------------------

describe(`weights and activation parameters equal PyTorch ${fixture.torch}`, () => {
  for (const c of fixture.weights) {
    it(`per-channel symmetric weights: ${c.name}`, async () => {
      const O = c.shape[0];
      // The host computation sg.quantize uses...
      const host = ref.quantizeWeightPerChannel(Float32Array.from(c.w), O);
      expect(Array.from(host.scale)).toEqual(c.scale);
      expect(Array.from(host.codes)).toEqual(c.codes);
      expect(c.zero_point.every((z) => z === 0)).toBe(true);
      // ...and through sg.quantize on a layer holding these weights.
      const layer = c.shape.length === 2
        ? sg.nn.linear(c.shape[1], O)
        : sg.nn.conv2d(c.shape[1], O, [c.shape[2], c.shape[3]]);
      await setWeights(layer, Float32Array.from(c.w));
      const x = c.shape.length === 2 ? sg.tensor(randn([2, c.shape[1]], 1), [2, c.shape[1]])
        : sg.tensor(randn([1, c.shape[1], 4, 6], 1), [1, c.shape[1], 4, 6]);
      const q = only(await sg.quantize(layer, { calibration: [x] }));
      expect(Array.from(q.weightScale)).toEqual(c.scale);
      expect(Array.from(q.weightCodes)).toEqual(c.codes);
      expect(q.weightShape).toEqual(c.shape);
    });
  }

  for (const c of fixture.activations) {
    it(`MinMaxObserver (${c.dtype}): ${c.name}`, async () => {
      const K = c.batches[0].shape[1];
      const batches = c.batches.map((b) => sg.tensor(Float32Array.from(b.data), b.shape));
      // The observer's parameters, host and through sg.quantize's calibration.
      expect(ref.minMaxQParams(c.min, c.max, c.dtype)).toEqual({ scale: c.scale, zeroPoint: c.zero_point });
      const q = only(await sg.quantize(sg.nn.linear(K, 3), { calibration: batches, activationDtype: c.dtype }));
      expect(q.input).toEqual({ scale: c.scale, zeroPoint: c.zero_point, dtype: c.dtype });
      // torch.quantize_per_tensor's codes of the last batch, from the GPU kernel (packed, shifted bytes).
      const last = c.batches[c.batches.length - 1];
      const [M] = last.shape;
      const packed = quantizePacked(sg.reshape(batches[batches.length - 1], [M, K, 1, 1]),
        { scale: c.scale, zeroPoint: c.zero_point, dtype: c.dtype, groups: 1 });
      const words = (await packed.data()) as Int32Array;
      const K4 = Math.ceil(K / 4);
      const codes: number[] = [];
      for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) codes.push(ref.byteOf(words[m * K4 + (k >> 2)], k & 3) + ref.codeShift(c.dtype));
      expect(codes).toEqual(c.codes);
      // and the host reference's
      const inv = ref.inverseScale(c.scale);
      const [qmin, qmax] = ref.qrange(c.dtype);
      expect(last.data.map((v) => ref.quantizeValue(v, inv, c.zero_point, qmin, qmax))).toEqual(c.codes);
    });
  }
});

// ---- int8 kernels vs the fake-quant reference -------------------------------------------------------------

const dotVersions = ['dot4', 'unpack'] as const;
const hasDot4 = () => wgslLanguageFeature(PACKED_DOT_FEATURE);

/**
 * GPU output vs the float64 fake-quant reference: the int8 sums are exact, so the only difference is
 * the f32 rounding of f32(acc)·f32(scale_x·scale_w[o]) + bias (a few ulps of |y − bias| and |bias|).
 * That bound must stay below half of one step of the integer sum (scale_x·scale_w[o]), or the check
 * could not see a wrong code.
 */
function expectFakeQuant(got: Float32Array, want: HostTensor, layer: QuantizedLayer, plane: number, label: string): void {
  const O = layer.weightShape[0];
  const bias = layer.bias ?? new Float32Array(O);
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const o = Math.floor(i / plane) % O;
    const step = layer.input.scale * layer.weightScale[o];
    const tol = 2 ** -21 * (Math.abs(want.data[i] - bias[o]) + Math.abs(bias[o])) + 1e-30;
    expect(tol, `${label}: the tolerance at ${i} must be below half a step of the integer sum`).toBeLessThan(step / 2);
    const err = Math.abs(got[i] - want.data[i]);
    if (!(err <= tol)) throw new Error(`${label}: y[${i}] = ${got[i]}, fake-quant reference ${want.data[i]} (|diff| ${err} > ${tol}; one step ${step})`);
    worst = Math.max(worst, err / step);
  }
  expect(worst).toBeLessThan(0.5);
}

interface LinearCase { lead: number[]; K: number; O: number; bias: boolean }
const linearCases: LinearCase[] = [
  { lead: [3], K: 7, O: 5, bias: true },
  { lead: [1], K: 1, O: 1, bias: true },
  { lead: [2, 3], K: 13, O: 6, bias: false },
  { lead: [5], K: 37, O: 11, bias: true },
];

interface ConvCase { x: number[]; O: number; k: [number, number]; opts: sg.nn.Conv2dLayerOptions }
const convCases: ConvCase[] = [
  { x: [2, 5, 7, 6], O: 3, k: [3, 3], opts: { padding: 1 } },
  { x: [1, 3, 9, 8], O: 4, k: [3, 2], opts: { stride: 2, dilation: [2, 1], padding: [2, 1] } },
  { x: [2, 6, 5, 5], O: 4, k: [2, 3], opts: { groups: 2, padding: [1, 0], bias: false } },
  { x: [1, 4, 6, 7], O: 4, k: [3, 3], opts: { groups: 4, padding: 'same' } },
  { x: [1, 1, 5, 5], O: 2, k: [1, 1], opts: {} },
];

for (const dot of dotVersions) {
  describe(`int8 kernels equal the fake-quant reference (dot: '${dot}')`, () => {
    it(`the '${dot}' dot product is available here, or refused by name`, () => {
      console.log(`quant: WGSL language feature ${PACKED_DOT_FEATURE}: ${hasDot4() ? 'present' : 'absent'}; testing dot '${dot}'`);
      if (dot === 'dot4' && !hasDot4()) {
        expect(() => sg.quantize(sg.nn.linear(2, 2), { calibration: [sg.zeros([1, 2])], dot })).rejects.toThrow(PACKED_DOT_FEATURE);
      }
    });
    const runnable = () => dot === 'unpack' || hasDot4();

    for (const dtype of ['quint8', 'qint8'] as const) {
      for (const [ci, c] of linearCases.entries()) {
        it(`linear ${c.lead.join('×')}×${c.K} → ${c.O}${c.bias ? '' : ' (no bias)'}, ${dtype} input (direct and blocked kernels)`, async () => {
          if (!runnable()) return; // refused above, by name
          const layer = sg.nn.linear(c.K, c.O, { bias: c.bias });
          await setWeights(layer, randn([c.O, c.K], 10 + ci, 0.4), randn([c.O], 20 + ci, 0.3));
          const xs = [randn([...c.lead, c.K], 30 + ci, 1.5, 0.2), randn([...c.lead, c.K], 40 + ci, 1.0, -0.3)];
          const batches = xs.map((v) => sg.tensor(v, [...c.lead, c.K]));
          const q = await sg.quantize(layer, { calibration: batches, activationDtype: dtype, dot });
          expect(q.dot).toBe(dot);
          const l = only(q);
          for (const kernel of ['direct', 'blocked'] as const) {
            l.kernel = kernel;
            for (const [bi, x] of batches.entries()) {
              const got = (await q.forward(x).data()) as Float32Array;
              const want = ref.fakeQuantLinear(host([...c.lead, c.K], xs[bi]), l.weightCodes, l.weightScale, l.bias, l.input);
              expect(q.forward(x).shape).toEqual([...c.lead, c.O]);
              expectFakeQuant(got, want, l, 1, `linear case ${ci} batch ${bi} (${dot}, ${kernel})`);
            }
          }
          // An input beyond the calibrated range is clamped to the code range, as torch does.
          const wide = randn([...c.lead, c.K], 50 + ci, 6);
          const got = (await q.forward(sg.tensor(wide, [...c.lead, c.K])).data()) as Float32Array;
          expectFakeQuant(got, ref.fakeQuantLinear(host([...c.lead, c.K], wide), l.weightCodes, l.weightScale, l.bias, l.input), l, 1, `linear case ${ci} clamped`);
        });
      }
      for (const [ci, c] of convCases.entries()) {
        it(`conv2d x ${c.x.join('×')}, ${c.O} out, kernel ${c.k.join('×')} ${JSON.stringify(c.opts)}, ${dtype} input (direct and blocked kernels)`, async () => {
          if (!runnable()) return; // refused above, by name
          const C = c.x[1];
          const layer = sg.nn.conv2d(C, c.O, c.k, c.opts);
          await setWeights(layer, randn(layer.weight.shape, 60 + ci, 0.3), randn([c.O], 70 + ci, 0.2));
          const xv = randn(c.x, 80 + ci, 1.2, 0.1);
          const x = sg.tensor(xv, c.x);
          const q = await sg.quantize(layer, { calibration: [x], activationDtype: dtype, dot });
          expect(q.dot).toBe(dot);
          const l = only(q);
          const geometry = (l as unknown as { geometry: Parameters<typeof ref.fakeQuantConv2d>[6] }).geometry;
          const want = ref.fakeQuantConv2d(host(c.x, xv), l.weightCodes, l.weightShape, l.weightScale, l.bias, l.input, geometry);
          // the f32 layer's shape too
          expect(layer.forward(x).shape).toEqual(want.shape);
          for (const kernel of ['direct', 'blocked'] as const) {
            l.kernel = kernel;
            const y = q.forward(x);
            expect(y.shape).toEqual(want.shape);
            expectFakeQuant((await y.data()) as Float32Array, want, l, want.shape[2] * want.shape[3], `conv case ${ci} (${dot}, ${kernel})`);
          }
        });
      }
    }
  });
}

it('both dot products and both kernels (direct, blocked) give bit-identical outputs', async () => {
  const model = sg.nn.sequential(sg.nn.conv2d(3, 6, 3, { padding: 1 }), sg.nn.relu(), sg.nn.conv2d(6, 5, 3, { stride: 2 }), sg.nn.relu(),
    sg.nn.flatten(), sg.nn.linear(5 * 3 * 3, 4));
  const x = sg.tensor(randn([2, 3, 7, 7], 5), [2, 3, 7, 7]);
  const q = await sg.quantize(model, { calibration: [x], dot: 'unpack' });
  const layers = [...q.layers.values()];
  expect(layers.length).toBe(3);
  const outputs: number[][] = [];
  for (const dot of hasDot4() ? (['unpack', 'dot4'] as const) : (['unpack'] as const)) {
    q.setDot(dot);
    expect(q.dot).toBe(dot);
    for (const kernel of ['direct', 'blocked'] as const) {
      for (const l of layers) l.kernel = kernel;
      outputs.push(Array.from(await q.forward(x).data()));
    }
  }
  for (const o of outputs.slice(1)) expect(o).toEqual(outputs[0]);
});

// ---- trained models keep their accuracy ----------------------------------------------------------------

async function accuracy(model: sg.nn.Module, ds: sg.data.Dataset): Promise<number> {
  const x = sg.tensor(ds.x, [ds.length, ...ds.xShape]);
  const logits = (await model.forward(x).data()) as Float32Array;
  const C = logits.length / ds.length;
  let right = 0;
  for (let i = 0; i < ds.length; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[i * C + c] > logits[i * C + best]) best = c;
    if (best === ds.y[i]) right++;
  }
  return right / ds.length;
}

/** Toy 8×8 images: a horizontal bar, a vertical bar or a diagonal, at random places, with noise. */
function bars(n: number, seed: number): sg.data.Dataset {
  const r = rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = r.int(3);
    const at = 1 + r.int(6);
    y[i] = cls;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = 0.9 * r.normal();
    for (let t = 0; t < 8; t++) {
      const [h, w] = cls === 0 ? [at, t] : cls === 1 ? [t, at] : [t, t];
      x[i * 64 + h * 8 + w] += 1.5;
    }
  }
  return sg.data.fromArrays(x, y, { xShape: [1, 8, 8], numClasses: 3 });
}

describe('trained models keep their accuracy', () => {
  it('an MLP on gaussian blobs', async () => {
    sg.manualSeed(1);
    const train = sg.data.gaussianBlobs({ n: 600, centers: 4, std: 3.2, features: 6, seed: 1 });
    const test = sg.data.gaussianBlobs({ n: 400, centers: train.centers, std: 3.2, features: 6, seed: 2 });
    const model = sg.nn.sequential(sg.nn.linear(6, 32), sg.nn.relu(), sg.nn.linear(32, 32), sg.nn.relu(), sg.nn.linear(32, 4));
    await sg.train.fit(model, { data: train, loss: 'crossEntropy', optimizer: sg.optim.adam(model.parameters(), { lr: 1e-2 }), epochs: 15, batchSize: 64 });
    model.eval();
    const f32 = await accuracy(model, test);
    const q = await sg.quantize(model, { calibration: train, batches: 4, batchSize: 64 });
    expect([...q.layers.keys()]).toEqual(['0', '2', '4']);
    const int8 = await accuracy(q, test);
    console.log(`quant: MLP on blobs: f32 accuracy ${f32.toFixed(4)}, int8 ${int8.toFixed(4)} (dot '${q.dot}')`);
    expect(f32).toBeGreaterThan(0.85);
    expect(Math.abs(int8 - f32)).toBeLessThanOrEqual(0.02);
    // The quantized model does not change the source model.
    expect(await accuracy(model, test)).toBe(f32);
  });

  it('a CNN on toy bar images', async () => {
    sg.manualSeed(2);
    const train = bars(480, 3);
    const test = bars(300, 4);
    const model = sg.nn.sequential(
      sg.nn.conv2d(1, 6, 3, { padding: 1 }), sg.nn.relu(), sg.nn.maxPool2d(2),
      sg.nn.conv2d(6, 8, 3, { padding: 1 }), sg.nn.relu(), sg.nn.flatten(), sg.nn.linear(8 * 4 * 4, 3));
    await sg.train.fit(model, { data: train, loss: 'crossEntropy', optimizer: sg.optim.adam(model.parameters(), { lr: 1e-2 }), epochs: 6, batchSize: 32 });
    model.eval();
    const f32 = await accuracy(model, test);
    const q = await sg.quantize(model, { calibration: train, batches: 3, batchSize: 64 });
    expect([...q.layers.keys()]).toEqual(['0', '3', '6']);
    const int8 = await accuracy(q, test);
    console.log(`quant: CNN on bars: f32 accuracy ${f32.toFixed(4)}, int8 ${int8.toFixed(4)} (dot '${q.dot}')`);
    expect(f32).toBeGreaterThan(0.85);
    expect(Math.abs(int8 - f32)).toBeLessThanOrEqual(0.02);
  });
});

// ---- size, save and load -----------------------------------------------------------------------------------

function f32Bytes(model: sg.nn.Module): number {
  return Object.values(model.stateDict()).reduce((n, t) => n + 4 * t.size, 0);
}

describe('size, save and load', () => {
  const build = () => sg.nn.sequential(sg.nn.conv2d(2, 8, 3, { padding: 1 }), sg.nn.batchNorm2d(8), sg.nn.relu(), sg.nn.flatten(),
    sg.nn.linear(8 * 5 * 5, 64), sg.nn.relu(), sg.nn.linear(64, 10, { bias: false }));
  const input = () => sg.tensor(randn([3, 2, 5, 5], 91), [3, 2, 5, 5]);

  it('safetensors writes I8 (one byte a value) and reads it back as i32, beside the other dtypes', () => {
    const bytes = encodeSafetensors({
      a: { dtype: 'I8', shape: [2, 3], data: Int8Array.of(-128, -1, 0, 1, 2, 127) },
      b: { dtype: 'I8', shape: [3], data: Int32Array.of(-127, 5, 127) },
      c: { dtype: 'F32', shape: [2], data: Float32Array.of(0.5, -2) },
      d: { dtype: 'I64', shape: [], data: Int32Array.of(-3) },
    });
    const back = decodeSafetensors(bytes);
    expect(back.tensors.a).toEqual({ dtype: 'I32', shape: [2, 3], data: Int32Array.of(-128, -1, 0, 1, 2, 127), sourceDtype: 'I8' });
    expect(back.tensors.b).toEqual({ dtype: 'I32', shape: [3], data: Int32Array.of(-127, 5, 127), sourceDtype: 'I8' });
    expect(back.tensors.c.data).toEqual(Float32Array.of(0.5, -2));
    expect(back.tensors.d.data).toEqual(Int32Array.of(-3));
    // 6 + 3 bytes of I8 data after 8 + 4 + 8 bytes of the others
    expect(bytes.length - (8 + new DataView(bytes.buffer).getUint32(0, true))).toBe(8 + 4 * 2 + 6 + 3);
    expect(() => encodeSafetensors({ b: { dtype: 'I8', shape: [2], data: Int32Array.of(1, 200) } }))
      .toThrow('I8 value 200 at index 1 does not fit in a signed byte');
    expect(() => encodeSafetensors({ b: { dtype: 'I8', shape: [3], data: Int8Array.of(1, 2) } })).toThrow(/2 values do not fill shape \[3\]/);
  });

  it('sizeBytes is about 4× smaller than the f32 model', async () => {
    sg.manualSeed(3);
    const model = build().eval();
    const q = await sg.quantize(model, { calibration: [input()] });
    const f32 = f32Bytes(model);
    const int8 = q.sizeBytes();
    // int8 weights + per-channel f32 scale, i32 zero point, f32 bias, the input's scale and zero point;
    // batch norm stays f32.
    const conv = 8 * 2 * 9 + 8 * 4 * 3 + 8;
    const fc1 = 64 * 200 + 64 * 4 * 3 + 8;
    const fc2 = 10 * 64 + 10 * 4 * 2 + 8;
    const bn = 4 * (8 * 4) + 4;
    expect(int8).toBe(conv + fc1 + fc2 + bn);
    console.log(`quant: sizeBytes ${int8} vs f32 ${f32}: ${(f32 / int8).toFixed(2)}× smaller`);
    expect(f32 / int8).toBeGreaterThan(3.5);
    expect(f32 / int8).toBeLessThan(4);
  });

  it('sg.save writes I8 weights with scales and zero points; loading them gives identical outputs', async () => {
    sg.manualSeed(4);
    const model = build().eval();
    // Batch norm statistics that are not the defaults, so the f32 part of the file matters.
    await sg.assign((model.stateDict()['1.running_mean']), sg.tensor(randn([8], 7, 0.2), [8]));
    const q = await sg.quantize(model, { calibration: [input()], activationDtype: 'qint8' });
    const x = input();
    const want = Array.from(await q.forward(x).data());
    const path = join(dir, 'q.safetensors');
    await sg.save(q, path);

    const file = decodeSafetensors(new Uint8Array(readFileSync(path)));
    const kinds = Object.fromEntries(Object.entries(file.tensors).map(([k, t]) => [k, `${t.sourceDtype} [${t.shape.join(', ')}]`]));
    expect(kinds).toEqual({
      '0.weight': 'I8 [8, 2, 3, 3]', '0.scale': 'F32 [8]', '0.zero_point': 'I64 [8]', '0.bias': 'F32 [8]',
      '0.input_scale': 'F32 []', '0.input_zero_point': 'I64 []',
      '1.weight': 'F32 [8]', '1.bias': 'F32 [8]', '1.running_mean': 'F32 [8]', '1.running_var': 'F32 [8]', '1.num_batches_tracked': 'I64 []',
      '4.weight': 'I8 [64, 200]', '4.scale': 'F32 [64]', '4.zero_point': 'I64 [64]', '4.bias': 'F32 [64]',
      '4.input_scale': 'F32 []', '4.input_zero_point': 'I64 []',
      '6.weight': 'I8 [10, 64]', '6.scale': 'F32 [10]', '6.zero_point': 'I64 [10]', '6.input_scale': 'F32 []', '6.input_zero_point': 'I64 []',
    });
    expect(Array.from(file.tensors['4.weight'].data)).toEqual(Array.from(only(q, '4').weightCodes));
    expect(file.tensors['6.input_zero_point'].data[0]).toBe(only(q, '6').input.zeroPoint);
    expect(JSON.parse(file.metadata.shadergrad).quantized).toEqual({
      activationDtype: 'qint8', observer: 'minmax', layers: { 0: 'Conv2d', 4: 'Linear', 6: 'Linear' },
    });

    // Rebuilt from a freshly initialised model of the same architecture.
    sg.manualSeed(99);
    const fresh = build().eval();
    const back = await sg.loadQuantized(fresh, path);
    expect(Array.from(await back.forward(x).data())).toEqual(want);
    // sg.load into another quantized model (different weights and calibration) takes the file's.
    const other = await sg.quantize(build().eval(), { calibration: [sg.tensor(randn([3, 2, 5, 5], 17, 3), [3, 2, 5, 5])] });
    expect(Array.from(await other.forward(x).data())).not.toEqual(want);
    await sg.load(other, path);
    expect(Array.from(await other.forward(x).data())).toEqual(want);
    // loadQuantized refuses an f32 checkpoint, by name.
    const plain = join(dir, 'f32.safetensors');
    await sg.save(model, plain);
    await expect(sg.loadQuantized(build(), plain)).rejects.toThrow(/no quantized model/);
  });
});

// ---- errors ---------------------------------------------------------------------------------------------

describe('errors', () => {
  it('training a quantized model is refused', async () => {
    const model = sg.nn.sequential(sg.nn.linear(3, 4), sg.nn.relu(), sg.nn.linear(4, 2));
    const q = await sg.quantize(model, { calibration: [sg.tensor(randn([2, 3], 1), [2, 3])] });
    expect(() => q.train()).toThrow(/QuantizedSequential: a quantized model \(sg\.quantize\) is for inference only; training it is refused/);
    expect(() => q.layers.get('0')!.train()).toThrow(/QuantizedLinear: a quantized layer is for inference only/);
    expect(q.parameters()).toEqual([]);
    const data = sg.data.fromArrays(randn([8, 3], 2), new Int32Array(8), { xShape: [3], numClasses: 2 });
    await expect(sg.train.fit(q, { data, loss: 'crossEntropy', optimizer: sg.optim.sgd(model.parameters(), { lr: 0.1 }), epochs: 1, batchSize: 4 }))
      .rejects.toThrow(/training it is refused/);
    expect(q.eval()).toBe(q);
  });

  it('empty calibration is refused, naming it', async () => {
    const model = sg.nn.linear(3, 2);
    await expect(sg.quantize(model, { calibration: [] })).rejects.toThrow(/calibration is an empty array/);
    const empty = sg.data.fromArrays(new Float32Array(0), new Int32Array(0), { xShape: [3], numClasses: 2 });
    await expect(sg.quantize(model, { calibration: empty })).rejects.toThrow(/calibration dataset is empty \(length 0, xShape \[3\]\)/);
    await expect(sg.quantize(model, {} as sg.QuantizeOptions)).rejects.toThrow(/calibration must be an sg\.data Dataset/);
  });

  it('unsupported layer types and models without quantizable layers are named', async () => {
    const x = [sg.tensor(randn([2, 3], 1), [2, 3])];
    await expect(sg.quantize(sg.nn.linear(3, 2), { calibration: x, layers: ['Embedding' as 'Linear'] }))
      .rejects.toThrow(`layer type "Embedding" is not supported (int8 kernels exist for Linear and Conv2d)`);
    await expect(sg.quantize(sg.nn.sequential(sg.nn.relu(), sg.nn.layerNorm(3)), { calibration: x }))
      .rejects.toThrow('the model has no Linear or Conv2d layer to quantize (its modules: Sequential, ReLU, LayerNorm)');
    await expect(sg.quantize(sg.nn.sequential(sg.nn.linear(3, 2)), { calibration: x, exclude: ['0'] }))
      .rejects.toThrow(/no Linear or Conv2d layer to quantize .*after excluding 0/);
    await expect(sg.quantize(sg.nn.linear(3, 2), { calibration: x, observer: 'histogram' as 'minmax' }))
      .rejects.toThrow(`observer must be 'minmax' (torch's MinMaxObserver), got "histogram"`);
    await expect(sg.quantize(sg.nn.linear(3, 2), { calibration: x, dot: 'fast' as 'dot4' })).rejects.toThrow(/dot must be 'auto', 'dot4' or 'unpack'/);
    await expect(sg.quantize(sg.nn.linear(3, 2), { calibration: x, batch_size: 4 } as sg.QuantizeOptions)).rejects.toThrow(/unknown option 'batch_size'/);
    await expect(sg.quantize(sg.nn.conv2d(2, 2, 2, { padding: 'same' }), { calibration: [sg.zeros([1, 2, 3, 3])] }))
      .rejects.toThrow(/layer 'root' \(Conv2d\): padding 'same' with an odd total padding \[1, 1\]/);
    const q = await sg.quantize(sg.nn.linear(3, 2), { calibration: x });
    expect(() => q.forward(sg.zeros([2, 4]))).toThrow(/QuantizedLinear: input .*\[2, 4\].* must end with \[3\]/);
  });
});
