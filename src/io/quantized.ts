// Saving and loading int8 models (sg.quantize): one safetensors file in which each quantised layer's
// weight is stored as int8 (dtype I8, one byte a value), in the f32 weight's layout and shape, beside
// its quantisation parameters. Names follow PyTorch's quantized state_dict where it has them:
//
//   <layer>.weight            I8  [O, ...]  the codes (torch's int_repr())
//   <layer>.scale             F32 [O]       per-output-channel weight scales (max|w_o| / 127)
//   <layer>.zero_point        I64 [O]       per-output-channel weight zero points (0: symmetric)
//   <layer>.bias              F32 [O]       when the layer has a bias
//   <layer>.input_scale       F32 []        the input observer's scale (MinMaxObserver)
//   <layer>.input_zero_point  I64 []        the input observer's zero point
//
// Every other tensor of the model is written as sg.save writes it (f32 as F32, i32 as I64). The
// metadata (`shadergrad` key) records the model class, the activation dtype and the quantised layers'
// paths and types. sg.save(quantized, path) and sg.load(quantized, path) come here (src/io/model.ts);
// loadQuantized(f32Model, path) rebuilds the int8 model from the file and a model of the same
// architecture, without calibration.

import type { Module } from '../nn/module.js';
import {
  QuantizedConv2d, QuantizedLinear, QuantizedModule, convGeometry, walkModules, type QuantizedLayer,
} from '../nn/quantize.js';
import { Conv2d, Linear } from '../nn/layers.js';
import { read, tensor, type Tensor } from '../tensor/tensor.js';
import { assign } from '../tensor/assign.js';
import { defaultQuantDot } from '../ops/quant.js';
import type { QuantDtype } from '../reference/quant.js';
import { encodeSafetensors, type SafetensorsWriteTensor } from './safetensors.js';
import { checkCompatible, checkpointMetadata, loadCheckpoint, type LoadedCheckpoint, type LoadedTensor, type TensorSpec } from './checkpoint.js';
import { fmtShape } from '../util/shape.js';
import { sgError, ShadergradError } from '../util/errors.js';

export { quantize, QuantizedModule, QuantizedLinear, QuantizedConv2d, type QuantizeOptions } from '../nn/quantize.js';

/** The suffixes of a quantised layer's tensors in the file. */
const LAYER_KEYS = ['weight', 'scale', 'zero_point', 'bias', 'input_scale', 'input_zero_point'] as const;

interface QuantMetadata {
  activationDtype: QuantDtype;
  observer: 'minmax';
  /** Dotted path → 'Linear' | 'Conv2d'. */
  layers: Record<string, string>;
}

const prefixOf = (path: string) => (path ? `${path}.` : '');

/** The layer path a state-dict name belongs to ('0.weight' → '0', 'weight' → ''). */
const ownerOf = (name: string) => (name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '');

/** The file's tensors and metadata for a quantised model (one GPU read-back for its f32 state). */
async function quantizedTensors(model: QuantizedModule, extra: Record<string, unknown> = {}): Promise<{ tensors: Record<string, SafetensorsWriteTensor>; metadata: Record<string, string> }> {
  const tensors: Record<string, SafetensorsWriteTensor> = {};
  const rest: [string, Tensor][] = [];
  for (const [name, t] of Object.entries(model.source.stateDict())) {
    if (!model.layers.has(ownerOf(name))) rest.push([name, t]);
  }
  const values = rest.length ? await read(...rest.map(([, t]) => t)) : [];
  rest.forEach(([name, t], i) => {
    tensors[name] = { dtype: t.dtype === 'f32' ? 'F32' : 'I64', shape: [...t.shape], data: values[i] };
  });
  const layers: Record<string, string> = {};
  let dtype: QuantDtype = 'quint8';
  for (const [path, l] of model.layers) {
    const p = prefixOf(path);
    const O = l.weightShape[0];
    layers[path] = l instanceof QuantizedConv2d ? 'Conv2d' : 'Linear';
    dtype = l.input.dtype;
    tensors[`${p}weight`] = { dtype: 'I8', shape: [...l.weightShape], data: l.weightCodes };
    tensors[`${p}scale`] = { dtype: 'F32', shape: [O], data: l.weightScale };
    tensors[`${p}zero_point`] = { dtype: 'I64', shape: [O], data: new Int32Array(O) };
    if (l.bias) tensors[`${p}bias`] = { dtype: 'F32', shape: [O], data: l.bias };
    tensors[`${p}input_scale`] = { dtype: 'F32', shape: [], data: Float32Array.of(l.input.scale) };
    tensors[`${p}input_zero_point`] = { dtype: 'I64', shape: [], data: Int32Array.of(l.input.zeroPoint) };
  }
  const quantized: QuantMetadata = { activationDtype: dtype, observer: 'minmax', layers };
  const metadata = checkpointMetadata('save', { ...extra, model: model.source.kind, quantized });
  return { tensors, metadata };
}

/** The safetensors bytes of a quantised model (int8 weights as I8): for a page, or to write elsewhere. */
export async function quantizedBytes(model: QuantizedModule, metadata: Record<string, unknown> = {}): Promise<Uint8Array> {
  if (!(model instanceof QuantizedModule)) throw sgError('quantizedBytes: model must be a QuantizedModule (the result of sg.quantize)');
  const file = await quantizedTensors(model, metadata);
  return encodeSafetensors(file.tensors, file.metadata);
}

/** sg.save for a quantised model: written atomically (a temp file renamed over `path`) in Node. */
export async function saveQuantized(model: QuantizedModule, path: string, metadata: Record<string, unknown> = {}): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw sgError('save: path must be a non-empty string');
  const bytes = await quantizedBytes(model, metadata);
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw sgError('save: writing a file needs Node; in a page use sg.quantizedBytes(model) and download or store the bytes');
  }
  const fsName = 'node:fs/promises'; // a variable, so bundlers for the page never try to resolve it
  const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ fsName);
  const tmp = `${path}.quantized-tmp-${process.pid}-${Date.now().toString(16)}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw sgError(`save: could not write ${JSON.stringify(path)} (left unchanged): ${(e as Error).message}`, ShadergradError, { cause: e });
  }
}

function metadataOf(ck: LoadedCheckpoint, where: string): QuantMetadata {
  const q = ck.metadata.quantized as QuantMetadata | undefined;
  if (!q || typeof q !== 'object' || typeof q.layers !== 'object' || q.layers === null) {
    throw sgError(`${where}: the checkpoint holds no quantized model (no 'quantized' entry in its shadergrad metadata): ` +
      'load an f32 checkpoint with sg.load, or quantize the model with sg.quantize');
  }
  if (q.activationDtype !== 'quint8' && q.activationDtype !== 'qint8') {
    throw sgError(`${where}: unknown activation dtype ${JSON.stringify(q.activationDtype)} in the checkpoint (quint8 or qint8)`);
  }
  return q;
}

function take(ck: LoadedCheckpoint, name: string, shape: number[], dtype: string, where: string): LoadedTensor {
  const t = ck.tensors[name];
  if (!t) throw sgError(`${where}: the checkpoint has no tensor '${name}' (expected ${fmtShape(shape)} ${dtype})`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]) || t.sourceDtype !== dtype) {
    throw sgError(`${where}: tensor '${name}' is ${fmtShape(t.shape)} ${t.sourceDtype}, expected ${fmtShape(shape)} ${dtype}`);
  }
  return t;
}

/**
 * Rebuild an int8 model from a file written by sg.save(quantized, path) and `model`, an f32 model of
 * the same architecture (its own weights in the quantised layers are not used; its other tensors are
 * loaded from the file).
 */
export async function loadQuantized(model: Module, path: string | Uint8Array): Promise<QuantizedModule> {
  return fromCheckpoint(model, await loadCheckpoint(path), 'loadQuantized');
}

async function fromCheckpoint(model: Module, ck: LoadedCheckpoint, where: string): Promise<QuantizedModule> {
  const meta = metadataOf(ck, where);
  const modules = new Map(walkModules(model));
  const layers = new Map<string, QuantizedLayer>();
  const used = new Set<string>();
  for (const [p, kind] of Object.entries(meta.layers)) {
    const m = modules.get(p);
    const label = `layer '${p || 'root'}'`;
    if (!m) throw sgError(`${where}: the checkpoint's quantized ${label} (${kind}) is not a module of ${model.kind}`);
    const want = kind === 'Linear' ? Linear : kind === 'Conv2d' ? Conv2d : undefined;
    if (!want) throw sgError(`${where}: ${label} has type ${JSON.stringify(kind)} in the checkpoint; only Linear and Conv2d are quantized`);
    if (m.constructor !== want) throw sgError(`${where}: ${label} is ${kind} in the checkpoint but ${m.kind} in the model`);
    const l = m as Linear | Conv2d;
    const shape = [...l.weight.shape];
    const O = shape[0];
    const pre = prefixOf(p);
    const w = take(ck, `${pre}weight`, shape, 'I8', where);
    const scale = take(ck, `${pre}scale`, [O], 'F32', where);
    const zp = take(ck, `${pre}zero_point`, [O], 'I64', where);
    if (zp.data.some((v) => v !== 0)) throw sgError(`${where}: '${pre}zero_point' must be all 0 (symmetric per-channel weights)`);
    const bias = l.bias ? take(ck, `${pre}bias`, [O], 'F32', where) : null;
    if (!l.bias && ck.tensors[`${pre}bias`]) throw sgError(`${where}: the checkpoint has '${pre}bias' but the model's ${label} has no bias`);
    const inScale = take(ck, `${pre}input_scale`, [], 'F32', where).data[0];
    const inZero = take(ck, `${pre}input_zero_point`, [], 'I64', where).data[0];
    if (!(inScale > 0)) throw sgError(`${where}: '${pre}input_scale' must be positive, got ${inScale}`);
    const input = { scale: inScale, zeroPoint: inZero, dtype: meta.activationDtype };
    const codes = Int8Array.from(w.data);
    for (const k of LAYER_KEYS) used.add(`${pre}${k}`);
    layers.set(p, l instanceof Linear
      ? new QuantizedLinear(codes, shape, scale.data as Float32Array, bias ? (bias.data as Float32Array) : null, input)
      : new QuantizedConv2d(codes, shape, scale.data as Float32Array, bias ? (bias.data as Float32Array) : null, input,
        (l as Conv2d).inChannels, convGeometry(l as Conv2d, `${where}: ${label}`)));
  }
  // The rest of the model: exactly the f32 model's other state-dict entries.
  const own = Object.entries(model.stateDict()).filter(([name]) => !layers.has(ownerOf(name)));
  const expected: Record<string, TensorSpec> = Object.fromEntries(own.map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype }]));
  const rest = Object.fromEntries(Object.entries(ck.tensors).filter(([k]) => !used.has(k)));
  checkCompatible(expected, rest);
  for (const [name, t] of own) {
    const v = rest[name];
    await assign(t, tensor(v.data, v.shape, { dtype: t.dtype }));
  }
  return new QuantizedModule(model, layers, new Map(), defaultQuantDot());
}

/** sg.load into a quantised model: its int8 layers (and the source's other tensors) from the file. */
export async function loadIntoQuantized(model: QuantizedModule, path: string | Uint8Array): Promise<Record<string, unknown>> {
  const ck = await loadCheckpoint(path);
  model.adopt(await fromCheckpoint(model.source, ck, 'load'));
  return ck.metadata;
}
