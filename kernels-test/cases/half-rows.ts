// Half-precision storage (compile's precision: 'mixed') of the row ops and the reductions: softmax /
// logSoftmax and their backward ops, layerNorm and layerNormBackward, cross_entropy and its backward,
// bce_with_logits, mse / l1 / huber / kl_div and their backward ops, sum / mean / max / min, argmax / argmin,
// globalNorm. Each case runs
// the op of its expression's last node with some inputs read from and some outputs written to f16
// storage (kernels-test/harness.ts, checkHalfCase) against the op's reference on the f16-rounded
// inputs, f16 outputs compared with the reference rounded to f16. For every op: each input alone as
// f16, each output alone, and all of them (every subset where there are at most three flags); rows
// of 1, odd and prime lengths (where rows share words an output stays f32: the half rule says so),
// lengths above the workgroup, several workgroups, values at and past f16's range (65504, overflow
// to ±∞ on the way out), ±∞ and NaN read from f16 storage; and each kernel version (thread, tree,
// subgroup) forced with setRowVersion — the subgroup ones only where the adapter has `subgroups`
// (otherwise reported "not run", never skipped silently). Where an op's rule refuses an f16 output for
// a shape (rows sharing words), its cases here keep that output f32 and say so in their names.
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { apply, apply1 } from '../../src/tensor/tensor.js';
import { opTable, type OpDef } from '../../src/ops/op.js';
import { ROW_VERSIONS, setRowVersion, type RowVersion, type RowVersionRule } from '../../src/ops/kernel-rules.js';
import { rng, type Case, type InputSpec } from '../harness.js';
import { toHalf } from '../../src/util/half.js';

type Half = NonNullable<Case['half']>;

function opNamed(name: string): OpDef {
  const op = opTable().get(name);
  if (!op) throw new Error(`half-rows: no op '${name}'`);
  return op;
}

/**
 * The storage combinations of an op with `nIn` inputs and `nOut` outputs, of which `reads` / `writes`
 * (indices) may be f16: every non-empty subset when there are at most three such flags, else each flag
 * alone, all inputs, all outputs and everything.
 */
function storages(nIn: number, nOut: number, reads: number[], writes: number[]): Half[] {
  const flags = [...reads.map((i) => ['in', i] as const), ...writes.map((i) => ['out', i] as const)];
  const make = (on: (readonly ['in' | 'out', number])[]): Half => ({
    inputs: Array.from({ length: nIn }, (_, i) => on.some(([k, j]) => k === 'in' && j === i)),
    outputs: Array.from({ length: nOut }, (_, i) => on.some(([k, j]) => k === 'out' && j === i)),
  });
  if (flags.length <= 3) {
    const out: Half[] = [];
    for (let m = 1; m < 1 << flags.length; m++) out.push(make(flags.filter((_, b) => m & (1 << b))));
    return out;
  }
  const sets = [...flags.map((f) => [f]), flags.filter(([k]) => k === 'in'), flags.filter(([k]) => k === 'out'), flags];
  return sets.filter((s) => s.length > 0).map(make);
}

const describeHalf = (h: Half) =>
  `f16 ${[...h.inputs.flatMap((on, i) => (on ? [`in${i}`] : [])), ...(h.outputs ?? []).flatMap((on, i) => (on ? [`out${i}`] : []))].join(' ')}`;

/**
 * The case once per storage combination; with `few`, only two of them: every readable input f16 with
 * f32 outputs, and everything f16 (for the version sweeps, where the combinations are covered above).
 */
let few = false;
function halfCases(c: Omit<Case, 'half'>, nIn: number, nOut: number, reads: number[], writes: number[]): Case[] {
  const all = storages(nIn, nOut, reads, writes);
  const picked = few ? all.filter((h) => h.inputs.every((on, i) => on === reads.includes(i)) &&
    ((h.outputs ?? []).every((on) => !on) || (h.outputs ?? []).every((on, i) => on === writes.includes(i)))) : all;
  return picked.map((half) => ({ ...c, name: `${c.name} [${describeHalf(half)}]`, half }));
}

/** The cases `make` builds, with only the two combinations of halfCases' `few`. */
function fewCombinations(make: () => Case[]): Case[] {
  few = true;
  try {
    return make();
  } finally {
    few = false;
  }
}

/**
 * The cases with `rules` forced to `version` while each runs, those of the rules that have it (layerNorm's
 * columns have no subgroup version); subgroup cases run only where the adapter has `subgroups`.
 */
function forced(version: RowVersion, rules: RowVersionRule[], cases: Case[]): Case[] {
  const set = rules.filter((rule) => ROW_VERSIONS[rule].includes(version));
  return cases.map((c) => ({
    ...c,
    name: `${c.name} (${version})`,
    ...(version === 'subgroup' ? { requires: ['subgroups'] } : {}),
    before: () => set.forEach((rule) => setRowVersion(rule, version)),
    after: () => set.forEach((rule) => setRowVersion(rule)),
  }));
}

/** The cases under each version of `rules` (thread too where `withThread`). */
function everyVersion(rules: RowVersionRule[], cases: Case[], withThread = true): Case[] {
  return [...(withThread ? forced('thread', rules, cases) : []), ...forced('tree', rules, cases), ...forced('subgroup', rules, cases)];
}

// ---- softmax / logSoftmax ------------------------------------------------------------------------

const softmaxBackward = (log: boolean, axis: number) => (y: Tensor, dy: Tensor) =>
  apply1(opNamed(log ? 'logSoftmaxBackward' : 'softmaxBackward'), [y, dy], { axis });

/** Softmax forward and backward on `shape` along `axis`; `writes`: the output may be f16 (rows own whole words). */
function softmaxFamily(label: string, spec: InputSpec, axis: number, writes: boolean, extra: Partial<Case> = {}): Case[] {
  const out = writes ? [0] : [];
  const norm = axis < 0 ? spec.shape.length + axis : axis;
  const yRange: InputSpec = { shape: spec.shape, range: [0.01, 1] };
  const logY: InputSpec = { shape: spec.shape, range: [-6, -0.01] };
  return [
    ...halfCases({ ...extra, name: `softmax ${label}`, inputs: [spec], fn: (x) => sg.softmax(x, axis) }, 1, 1, [0], out),
    ...halfCases({ ...extra, name: `logSoftmax ${label}`, inputs: [spec], fn: (x) => sg.logSoftmax(x, axis) }, 1, 1, [0], out),
    ...halfCases({ name: `softmaxBackward ${label}`, inputs: [yRange, { shape: spec.shape }], fn: softmaxBackward(false, norm) }, 2, 1, [0, 1], out),
    ...halfCases({ name: `logSoftmaxBackward ${label}`, inputs: [logY, { shape: spec.shape }], fn: softmaxBackward(true, norm) }, 2, 1, [0, 1], out),
  ];
}

const r = (shape: number[], lo = -4, hi = 4): InputSpec => ({ shape, range: [lo, hi] });

const softmaxShapes: Case[] = [
  ...softmaxFamily('[4,8]', r([4, 8]), -1, true),
  ...softmaxFamily('odd rows [5,7] (output f32)', r([5, 7]), -1, false),
  ...softmaxFamily('one odd row [1,7]', r([1, 7]), -1, true),
  ...softmaxFamily('rows of 1 [6,1] (output f32)', r([6, 1]), -1, false),
  ...softmaxFamily('size 1 [1]', r([1]), 0, true),
  ...softmaxFamily('prime rows above the workgroup [3,257] (output f32)', r([3, 257]), -1, false),
  ...softmaxFamily('one prime row above the workgroup [1,263]', r([1, 263]), -1, true),
  ...softmaxFamily('rows of 600, three strides [3,600]', r([3, 600], -3, 3), -1, true),
  ...softmaxFamily('middle axis [2,100,4] (output f32)', r([2, 100, 4], -3, 3), 1, false),
  ...softmaxFamily('axis 0 [31,2] (output f32)', r([31, 2]), 0, false),
];

const softmaxEdges: Case[] = [
  // The largest f16 logits: the f32 maths subtracts the max, so nothing overflows.
  ...halfCases({
    name: 'softmax logits ±65504 [2,4]', inputs: [{ shape: [2, 4], values: [65504, -65504, 0, 65504, -65504, 1, -2, 3] }],
    fn: (x) => sg.softmax(x),
  }, 1, 1, [0], [0]),
  // log-softmax of ±60000: −120000 does not fit f16 and becomes −∞ on the way out (and stays finite in f32).
  ...halfCases({
    name: 'logSoftmax overflows to -inf in f16 [2,4]', inputs: [{ shape: [2, 4], values: [60000, -60000, 1, 2, -3, 4, -60000, 5] }],
    fn: (x) => sg.logSoftmax(x),
  }, 1, 1, [0], [0]),
  // −∞ (a masked logit) read from f16: weight 0 (softmax), −∞ (log-softmax).
  ...halfCases({
    name: 'softmax with -inf logits [2,6]',
    inputs: [{ shape: [2, 6], values: [1, -Infinity, 2, 0.5, -Infinity, -1, -Infinity, 3, -Infinity, 0.25, 1, 2] }],
    fn: (x) => sg.softmax(x),
  }, 1, 1, [0], [0]),
  ...halfCases({
    name: 'logSoftmax with -inf logits [2,4]', inputs: [{ shape: [2, 4], values: [1, -Infinity, 2, 0.5, -Infinity, 3, 0.25, 1] }],
    fn: (x) => sg.logSoftmax(x),
  }, 1, 1, [0], [0]),
  // (No NaN logits: the f32 kernels leave a NaN's effect on its row to the device — WGSL's max may drop
  // it — and f16 storage reads a NaN back as a NaN, which the reductions' cases below check.)
];

const softmaxVersions = everyVersion(['softmax'], fewCombinations(() => [
  ...softmaxFamily('[4,8]', r([4, 8]), -1, true),
  ...softmaxFamily('one odd row [1,7]', r([1, 7]), -1, true),
  ...softmaxFamily('odd rows [3,5] (output f32)', r([3, 5]), -1, false),
  ...softmaxFamily('rows of 600 [3,600]', r([3, 600], -3, 3), -1, true),
  ...softmaxFamily('one prime row [1,263]', r([1, 263]), -1, true),
  ...softmaxFamily('middle axis [2,70,3] (output f32)', r([2, 70, 3], -3, 3), 1, false),
]));

// ---- layerNorm / layerNormBackward ----------------------------------------------------------------

interface LayerNormSetup { weight: boolean; bias: boolean }

/** layerNorm over the last dims `norm` of x, with a weight and a bias as `p` says: the forward op. */
function layerNormForward(norm: number[], p: LayerNormSetup) {
  return (x: Tensor, ...params: Tensor[]) => sg.layerNorm(x, norm, p.weight ? params[0] : null, p.bias ? params[p.weight ? 1 : 0] : null);
}

/** layerNormBackward's op on (x, mean, rstd, dy, weight?), mean and rstd from the forward op. */
function layerNormBackward(norm: number[], p: LayerNormSetup) {
  return (x: Tensor, dy: Tensor, ...params: Tensor[]) => {
    const attrs = { normalizedShape: norm, hasWeight: p.weight, hasBias: p.bias };
    const [, mean, rstd] = apply(opNamed('layerNorm'), [x, ...params], { ...attrs, eps: 1e-5 });
    return apply(opNamed('layerNormBackward'), [x, mean, rstd, dy, ...(p.weight ? [params[0]] : [])], attrs)[0];
  };
}

/** layerNorm forward and backward on x of `shape`; `writes`: y and dx may be f16 (rows own whole words). */
function layerNormFamily(label: string, x: InputSpec, norm: number[], p: LayerNormSetup, writes: boolean, extra: Partial<Case> = {}): Case[] {
  const params: InputSpec[] = [...(p.weight ? [{ shape: norm, range: [0.5, 1.5] as [number, number] }] : []), ...(p.bias ? [{ shape: norm }] : [])];
  const nParams = params.length;
  const what = `${p.weight ? 'weight' : 'no weight'}, ${p.bias ? 'bias' : 'no bias'}`;
  const outs = (p.weight ? 1 : 0) + (p.bias ? 1 : 0);
  return [
    ...halfCases({ ...extra, name: `layerNorm ${label}, ${what}`, inputs: [x, ...params], fn: layerNormForward(norm, p) },
      1 + nParams, 3, [0], writes ? [0] : []),
    // The backward's inputs here are (x, dy, params); the op's are (x, mean, rstd, dy, weight?).
    ...halfCases({ ...extra, name: `layerNormBackward ${label}, ${what}`, inputs: [x, { shape: x.shape }, ...params], fn: layerNormBackward(norm, p) },
      4 + (p.weight ? 1 : 0), 1 + outs, [0, 3], writes ? [0] : []),
  ];
}

const affine = { weight: true, bias: true };
const plain = { weight: false, bias: false };

const layerNormShapes: Case[] = [
  ...layerNormFamily('[4,8]', r([4, 8]), [8], affine, true),
  ...layerNormFamily('[6,4]', r([6, 4]), [4], plain, true),
  ...layerNormFamily('[3,6]', r([3, 6]), [6], { weight: true, bias: false }, true),
  ...layerNormFamily('[2,10]', r([2, 10]), [10], { weight: false, bias: true }, true),
  ...layerNormFamily('odd rows [5,7] (outputs f32)', r([5, 7]), [7], affine, false),
  ...layerNormFamily('one odd row [1,7]', r([1, 7]), [7], affine, true),
  ...layerNormFamily('rows of 1 [4,1] (outputs f32)', r([4, 1]), [1], affine, false),
  ...layerNormFamily('rows above the workgroup [3,300]', r([3, 300]), [300], affine, true, { atol: 3e-5 }),
  ...layerNormFamily('prime rows [2,257] (outputs f32)', r([2, 257]), [257], affine, false, { atol: 3e-5 }),
  ...layerNormFamily('one prime row [1,257]', r([1, 257]), [257], affine, true, { atol: 3e-5 }),
  ...layerNormFamily('70 rows for the column sums [70,6]', r([70, 6]), [6], affine, true, { atol: 3e-5 }),
  ...layerNormFamily('2-D normalizedShape of 96 [4,8,12]', r([4, 8, 12]), [8, 12], affine, true, { atol: 3e-5 }),
  // Near f16's top: the stored values are multiples of 32, the row statistics f32.
  ...layerNormFamily('values near 65504 [3,8]', r([3, 8], 60000, 65504), [8], affine, true, { atol: 1e-3 }),
];

const layerNormEdges: Case[] = [
  // y past 65504 (a bias of ±7e4) is ±∞ in f16 storage.
  ...halfCases({
    name: 'layerNorm output overflows to ±inf in f16 [2,4]',
    inputs: [r([2, 4]), { shape: [4], values: [1, 2, 0.5, 1] }, { shape: [4], values: [70000, -70000, 3, 65000] }],
    fn: layerNormForward([4], affine),
  }, 3, 3, [0], [0]),
];

const layerNormVersions = everyVersion(['layerNormRows', 'layerNormColumns'], fewCombinations(() => [
  ...layerNormFamily('[4,8]', r([4, 8]), [8], affine, true),
  ...layerNormFamily('one odd row [1,7]', r([1, 7]), [7], plain, true),
  ...layerNormFamily('odd rows [3,5] (outputs f32)', r([3, 5]), [5], affine, false),
  ...layerNormFamily('rows of 600 [3,600]', r([3, 600]), [600], affine, true, { atol: 3e-5 }),
  ...layerNormFamily('70 rows [70,6]', r([70, 6]), [6], affine, true, { atol: 3e-5 }),
]));

// ---- cross-entropy ---------------------------------------------------------------------------------

interface CeSetup { reduction: 'mean' | 'sum' | 'none'; weight?: boolean; smoothing?: number; ignoreIndex?: number; targetOnly?: boolean }

const ceAttrs = (p: CeSetup) => ({
  reduction: p.reduction, ignoreIndex: p.ignoreIndex ?? -100, labelSmoothing: p.smoothing ?? 0, hasWeight: !!p.weight,
  ...(p.targetOnly ? { targetOnly: true } : {}),
});

/** cross_entropy's op on (logits, target, weight?): outputs loss, lse, stats. */
const ceForward = (p: CeSetup) => (z: Tensor, t: Tensor, ...w: Tensor[]) =>
  apply(opNamed('cross_entropy'), [z, t, ...w], ceAttrs(p))[0];

/** cross_entropy_backward's op on (logits, target, lse, stats, dloss, weight?), lse and stats from the forward. */
const ceBackward = (p: CeSetup) => (z: Tensor, t: Tensor, dloss: Tensor, ...w: Tensor[]) => {
  const [, lse, stats] = apply(opNamed('cross_entropy'), [z, t, ...w], ceAttrs({ ...p, targetOnly: false }));
  return apply1(opNamed('cross_entropy_backward'), [z, t, lse, stats, dloss, ...w], ceAttrs(p));
};

/**
 * Logits that are f16 values already (drawn from [lo, hi] with a fixed seed): the backward's lse comes
 * from the forward on the unrounded logits, and cross_entropy_backward's reference recomputes the
 * softmax from the rounded ones, so both must be the same numbers.
 */
function halfExact(shape: number[], lo = -4, hi = 4): InputSpec {
  const rand = rng(shape.reduce((a, b) => a * 31 + b, 7));
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Array.from({ length: n }, () => toHalf(lo + (hi - lo) * rand())) };
}

const labels = (n: number, C: number): InputSpec => ({ shape: [n], dtype: 'i32', intMax: C, noGrad: true });
const given = (values: number[]): InputSpec => ({ shape: [values.length], dtype: 'i32', values, noGrad: true });
const classWeights = (C: number): InputSpec => ({ shape: [C], range: [0.2, 2] });

/** The forward (logits f16) and backward (logits f16, dlogits f16) on logits `z` with targets `t`. */
function ceFamily(label: string, z: InputSpec, t: InputSpec, p: CeSetup, extra: Partial<Case> = {}): Case[] {
  const [M, C] = z.shape;
  const w = p.weight ? [classWeights(C)] : [];
  const dloss: InputSpec = { shape: p.reduction === 'none' ? [M] : [], range: [0.5, 2] };
  const nw = w.length;
  const desc = `${p.reduction}${p.weight ? ', class weights' : ''}${p.smoothing ? `, smoothing ${p.smoothing}` : ''}`;
  return [
    ...halfCases({ ...extra, name: `cross_entropy ${label} (${desc})`, inputs: [z, t, ...w], fn: ceForward(p) }, 2 + nw, 3, [0], []),
    ...halfCases({ ...extra, name: `cross_entropy_backward ${label} (${desc})`, inputs: [z, t, dloss, ...w], fn: ceBackward(p) }, 5 + nw, 1, [0], [0]),
    ...halfCases({ ...extra, name: `cross_entropy_backward target term ${label} (${desc})`, inputs: [z, t, dloss, ...w], fn: ceBackward({ ...p, targetOnly: true }) },
      5 + nw, 1, [0], [0]),
  ];
}

const mean = { reduction: 'mean' } as const;

const ceCases: Case[] = [
  ...ceFamily('[4,8]', halfExact([4, 8]), labels(4, 8), mean),
  ...ceFamily('N=1 C=7', halfExact([1, 7]), labels(1, 7), mean),
  ...ceFamily('C=1 [4,1]', halfExact([4, 1]), labels(4, 1), { reduction: 'sum' }),
  ...ceFamily('prime [13,11] (odd M·C)', halfExact([13, 11]), labels(13, 11), { reduction: 'none' }),
  ...ceFamily('C=131, above the workgroup [5,131]', halfExact([5, 131]), labels(5, 131), mean),
  ...ceFamily('N=300, above the 256-thread sums [300,5]', halfExact([300, 5]), labels(300, 5), { reduction: 'mean', weight: true }, { atol: 1e-4 }),
  ...ceFamily('ignoreIndex and smoothing [7,5]', halfExact([7, 5]), given([4, -100, 0, 2, 2, -100, 1]), { reduction: 'mean', weight: true, smoothing: 0.1 }),
  // Logits up to ±60000 (f16 multiples of 32): the f32 row maths subtracts the max.
  ...ceFamily('logits ±6e4 [6,5]', halfExact([6, 5], -60000, 60000), labels(6, 5), { reduction: 'none' }, { atol: 1e-3 }),
];

const ceVersions = everyVersion(['crossEntropyRows', 'crossEntropySum'], fewCombinations(() => [
  ...ceFamily('[4,8]', halfExact([4, 8]), labels(4, 8), mean),
  ...ceFamily('C=131 [5,131]', halfExact([5, 131]), labels(5, 131), mean),
  ...ceFamily('N=300 [300,3]', halfExact([300, 3]), labels(300, 3), { reduction: 'sum' }, { atol: 1e-3 }),
]));

// ---- binary cross-entropy with logits; mse / l1 / huber -------------------------------------------

const bceForward = (pw: boolean) => (x: Tensor, y: Tensor, ...p: Tensor[]) =>
  apply1(opNamed('bce_with_logits'), [x, y, ...(pw ? p : [])], { hasPosWeight: pw });
const bceBackward = (pw: boolean) => (x: Tensor, y: Tensor, g: Tensor, ...p: Tensor[]) =>
  apply(opNamed('bce_with_logits_backward'), [x, y, g, ...(pw ? p : [])], { hasPosWeight: pw })[0];

function bceFamily(label: string, shape: number[], pw: boolean, x: InputSpec = r(shape), extra: Partial<Case> = {}): Case[] {
  const y: InputSpec = { shape, range: [0, 1] };
  const p: InputSpec[] = pw ? [{ shape: [shape[shape.length - 1]], range: [0.5, 3] }] : [];
  const desc = pw ? ', pos_weight' : '';
  return [
    ...halfCases({ ...extra, name: `bce_with_logits ${label}${desc}`, inputs: [x, y, ...p], fn: bceForward(pw) }, 2 + p.length, 1, [0, 1], [0]),
    ...halfCases({ ...extra, name: `bce_with_logits_backward ${label}${desc}`, inputs: [x, y, { shape }, ...p], fn: bceBackward(pw) },
      3 + p.length, pw ? 3 : 2, [0, 1, 2], pw ? [0, 1, 2] : [0, 1]),
  ];
}

type PointwiseKind = 'mse' | 'l1' | 'huber';
const pointwise = (kind: PointwiseKind, backward: boolean) => (...xs: Tensor[]) =>
  apply1(opNamed(backward ? `${kind}_loss_backward` : `${kind}_loss`), xs, { delta: kind === 'huber' ? 1 : 0 });

function pointwiseFamily(kind: PointwiseKind, label: string, a: InputSpec, b: InputSpec, extra: Partial<Case> = {}): Case[] {
  return [
    ...halfCases({ ...extra, name: `${kind}_loss ${label}`, inputs: [a, b], fn: pointwise(kind, false) }, 2, 1, [0, 1], [0]),
    ...halfCases({ ...extra, name: `${kind}_loss_backward ${label}`, inputs: [a, b, { shape: a.shape }], fn: pointwise(kind, true) }, 3, 1, [0, 1, 2], [0]),
  ];
}

// kl_div and kl_div_backward (two outputs, d/dinput and d/dtarget): every storage combination of each.
const kl = (logTarget: boolean, backward: boolean) => (...xs: Tensor[]) =>
  apply(opNamed(backward ? 'kl_div_backward' : 'kl_div'), xs, { logTarget })[0];

function klFamily(label: string, x: InputSpec, t: InputSpec, logTarget: boolean, extra: Partial<Case> = {}): Case[] {
  const desc = logTarget ? ', logTarget' : '';
  return [
    ...halfCases({ ...extra, name: `kl_div ${label}${desc}`, inputs: [x, t], fn: kl(logTarget, false) }, 2, 1, [0, 1], [0]),
    ...halfCases({ ...extra, name: `kl_div_backward ${label}${desc}`, inputs: [x, t, { shape: x.shape }], fn: kl(logTarget, true) }, 3, 2, [0, 1, 2], [0, 1]),
  ];
}

/** Probabilities with exact zeros (every third element). */
const probsWithZeros = (shape: number[]): InputSpec => ({
  shape, values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 3 === 1 ? 0 : 0.05 + ((i * 7919) % 17) / 18)),
});

const klCases: Case[] = [
  ...klFamily('[4,8]', r([4, 8], -4, -0.05), r([4, 8], 0.02, 1), false),
  ...klFamily('odd, exact-zero targets [5,7]', r([5, 7], -4, -0.05), probsWithZeros([5, 7]), false),
  ...klFamily('[4,8]', r([4, 8], -4, -0.05), r([4, 8], -4, -0.05), true),
  ...klFamily('odd, several workgroups [3,1001]', r([3, 1001], -4, -0.05), r([3, 1001], -4, -0.05), true),
  // t = 0 with x = −∞ is 0·(−∞) = NaN, t > 0 with x = −∞ is +∞; x = −65504 and f16's largest values.
  ...klFamily('±inf and 65504 [5]', { shape: [5], values: [-Infinity, -Infinity, -65504, -1, -0.5] }, { shape: [5], values: [0, 0.25, 0.5, 0, 1] }, false),
  // e^−∞·(−∞ − x) = NaN, e^11·12 ≈ 7.2e5 overflows f16 (finite in f32).
  ...klFamily('±inf and overflow [5]', { shape: [5], values: [-0.5, -Infinity, -2, -1, -65504] }, { shape: [5], values: [-Infinity, -1, -Infinity, 11, -3] }, true),
];

const elementLossCases: Case[] = [
  ...klCases,
  ...bceFamily('[4,8]', [4, 8], false),
  ...bceFamily('odd [5,7]', [5, 7], true),
  ...bceFamily('size 1', [1], false),
  ...bceFamily('several workgroups, odd [3,1001]', [3, 1001], true),
  ...bceFamily('logits ±6e4 [2,5]', [2, 5], true, r([2, 5], -60000, 60000)),
  ...pointwiseFamily('mse', '[4,8]', r([4, 8]), r([4, 8])),
  ...pointwiseFamily('mse', 'odd, several workgroups [3,1001]', r([3, 1001]), r([3, 1001])),
  // (6e4 − (−6e4))² overflows f16 (∞ where stored so), a NaN stays NaN.
  ...pointwiseFamily('mse', 'overflow and NaN [5]', { shape: [5], values: [60000, -1, NaN, 65504, 2] }, { shape: [5], values: [-60000, 1, 0, 65504, -Infinity] }),
  ...pointwiseFamily('l1', 'odd [5,7]', r([5, 7]), r([5, 7])),
  ...pointwiseFamily('l1', '±inf [4]', { shape: [4], values: [Infinity, -3, 65504, 1] }, { shape: [4], values: [0, -Infinity, -65504, 2] }),
  ...pointwiseFamily('huber', 'odd [1,7]', r([1, 7], -3, 3), r([1, 7], -3, 3)),
  ...pointwiseFamily('huber', 'several workgroups [2,700]', r([2, 700], -3, 3), r([2, 700], -3, 3)),
];

// ---- reductions ------------------------------------------------------------------------------------

type ReduceKind = 'sum' | 'mean' | 'max' | 'min';
const reduceOp = (kind: ReduceKind | 'argmax' | 'argmin', axis: number) => (x: Tensor) => apply1(opNamed(kind), [x], { axis });

/** `kind` over `axis` of x (the op reduces one axis of any view; sg.sum over several axes chains it). */
function reduceCases(kind: ReduceKind, label: string, x: InputSpec, axis: number, extra: Partial<Case> = {}): Case[] {
  return halfCases({ ...extra, name: `${kind} ${label}`, inputs: [x], fn: reduceOp(kind, axis) }, 1, 1, [0], [0]);
}

const argCases = (kind: 'argmax' | 'argmin', label: string, x: InputSpec, axis: number): Case[] =>
  halfCases({ name: `${kind} ${label}`, inputs: [x], fn: reduceOp(kind, axis), grad: false }, 1, 1, [0], []);

const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

const reductionShapes: Case[] = [
  ...reduceCases('sum', 'last axis [4,8]', r([4, 8]), 1),
  ...reduceCases('sum', 'odd count of outputs [5,7]', r([5, 7]), 1),
  ...reduceCases('sum', 'all of [1000] (one output)', r([1000]), 0, { atol: 1e-4 }),
  ...reduceCases('sum', 'size 1', r([1]), 0),
  ...reduceCases('sum', 'axis 0, long and strided [300,7]', r([300, 7]), 0, { atol: 1e-4 }),
  ...reduceCases('sum', 'middle axis [3,31,5] (15 outputs)', r([3, 31, 5]), 1),
  ...reduceCases('sum', 'axis of 1 [6,1,3]', r([6, 1, 3]), 1),
  ...reduceCases('sum', '131 outputs (several workgroups of threads) [131,3]', r([131, 3]), 1),
  ...reduceCases('sum', '2001 outputs of rows of 200 [2001,200]', r([2001, 200]), 1, { atol: 1e-4 }),
  ...reduceCases('mean', 'last axis [6,7]', r([6, 7]), 1),
  ...reduceCases('mean', 'all of [33]', r([33]), 0),
  ...reduceCases('mean', 'first axis [129,3]', r([129, 3]), 0),
  ...reduceCases('max', 'axis 0 [150,66]', r([150, 66]), 0),
  ...reduceCases('max', 'all of [33]', r([33]), 0),
  ...reduceCases('min', 'prime rows [3,131]', r([3, 131]), 1),
  ...reduceCases('min', 'middle axis [2,5,3]', r([2, 5, 3]), 1),
  // ±inf, NaN and 65504 read from f16; sums past 65504 are ±∞ in f16 storage (finite in f32).
  ...reduceCases('sum', 'overflow past 65504 [3,4]', { shape: [3, 4], values: [60000, 60000, 1, 2, -65504, -65504, -3, 4, 65504, -65504, 5, 6] }, 1),
  ...reduceCases('sum', '±inf and NaN [4,3]', { shape: [4, 3], values: [Infinity, 1, 2, -Infinity, 3, 4, Infinity, -Infinity, 5, NaN, 6, 7] }, 1),
  ...reduceCases('mean', 'inf in a long row [2,300]', { shape: [2, 300], values: seq(600, (i) => (i === 450 ? Infinity : Math.sin(i))) }, 1),
  ...reduceCases('max', 'NaN propagates [3,4]', { shape: [3, 4], values: [1, NaN, 3, 0, -1, -2, -3, -4, NaN, 5, NaN, 2] }, 1),
  ...reduceCases('max', 'long rows with a NaN [2,300]', { shape: [2, 300], values: seq(600, (i) => (i === 170 ? NaN : Math.sin(i))) }, 1),
  ...reduceCases('max', 'of -inf is -inf [2,3]', { shape: [2, 3], values: [-Infinity, -Infinity, -Infinity, 1, -Infinity, 65504] }, 1),
  ...reduceCases('min', 'of +inf is +inf [3,2]', { shape: [3, 2], values: [Infinity, Infinity, -65504, 3, NaN, 1] }, 1),
  ...argCases('argmax', 'last axis [5,9]', r([5, 9]), 1),
  ...argCases('argmax', 'long row [1000]', r([1000]), 0),
  ...argCases('argmin', 'prime rows [3,257]', r([3, 257]), 1),
  ...argCases('argmax', 'middle axis [2,31,3]', r([2, 31, 3]), 1),
  // f16 rounding makes near values equal: ties go to the first index, as in f32.
  ...argCases('argmax', 'ties after f16 rounding [2,4]', { shape: [2, 4], values: [1, 1.0001, 1.0002, 0.5, -3, 2048, 2049, 2047] }, 1),
  ...argCases('argmax', 'the first NaN wins [1,300]', { shape: [1, 300], values: seq(300, (i) => (i === 170 || i === 233 ? NaN : i)) }, 1),
  ...argCases('argmin', '-inf and NaN [200]', { shape: [200], values: seq(200, (i) => (i === 5 ? -Infinity : i === 99 ? NaN : i)) }, 0),
  ...halfCases({ name: 'globalNorm of [3,5], [7], [1]', inputs: [[3, 5], [7], [1]], fn: (a, b, c) => apply1(opNamed('globalNorm'), [a, b, c], null) }, 3, 1, [0, 1, 2], []),
  ...halfCases({ name: 'globalNorm of [3000] (several workgroups) and 65504s', inputs: [r([3000]), { shape: [3], values: [65504, -65504, 1] }],
    fn: (a, b) => apply1(opNamed('globalNorm'), [a, b], null), atol: 1e-4 }, 2, 1, [0, 1], []),
];

const reductionVersions: Case[] = [
  ...everyVersion(['reduce'], fewCombinations(() => [
    ...reduceCases('sum', 'odd count of outputs [5,7]', r([5, 7]), 1),
    ...reduceCases('sum', 'all of [1000]', r([1000]), 0, { atol: 1e-4 }),
    ...reduceCases('mean', 'axis 0 [300,7]', r([300, 7]), 0, { atol: 1e-4 }),
    ...reduceCases('sum', '131 outputs [131,3]', r([131, 3]), 1),
    ...reduceCases('max', 'long rows with a NaN [3,300]', { shape: [3, 300], values: seq(900, (i) => (i === 170 ? NaN : Math.cos(i))) }, 1),
    ...reduceCases('min', 'middle axis [2,70,3]', r([2, 70, 3]), 1),
  ])),
  ...everyVersion(['argReduce'], [
    ...argCases('argmax', 'odd rows [5,9]', r([5, 9]), 1),
    ...argCases('argmin', 'long row with -inf [1000]', { shape: [1000], values: seq(1000, (i) => (i === 777 ? -Infinity : Math.sin(i))) }, 0),
  ], false),
  ...everyVersion(['globalNorm'], [
    ...halfCases({ name: 'globalNorm of [3000] and [7]', inputs: [r([3000]), r([7])], fn: (a, b) => apply1(opNamed('globalNorm'), [a, b], null), atol: 1e-4 }, 2, 1, [0, 1], []),
  ], false),
];

export const cases: Case[] = [
  ...softmaxShapes, ...softmaxEdges, ...softmaxVersions,
  ...layerNormShapes, ...layerNormEdges, ...layerNormVersions,
  ...ceCases, ...ceVersions, ...elementLossCases,
  ...reductionShapes, ...reductionVersions,
];
