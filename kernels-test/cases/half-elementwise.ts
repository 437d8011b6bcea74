// Half-precision storage (compile's precision: 'mixed') of the elementwise family: every unary op
// (unary_forward), the binary ops with same-shape, broadcast and scalar operands (binary_forward), where,
// expand, the activations with their backward and second-derivative ops, fused elementwise chains
// (chain_forward, each of up to 4 inputs f16 or f32 on its own), permute (permute_forward and
// permute_rows), dropout forward / backward and slice / its backward. Each case runs the op of its expression's last node with
// the inputs marked half read from f16 storage and the outputs marked half written as f16 pairs
// (kernels-test/harness.ts, checkHalfCase) against the op's reference on the f16-rounded inputs, f16
// outputs compared with the reference rounded to f16. Covered: every storage combination (half in / f32
// out, f32 in / half out, all half, and each subset for binary ops and chains), odd sizes (the last word
// holds one value), sizes over many workgroups (70001 values: 35001 words), ±∞ / NaN / 65504 read from
// f16 and overflow to ±∞ on the way out (100 · 1000 stored as f16 is +∞).
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { apply1 } from '../../src/tensor/tensor.js';
import { opTable, type OpDef } from '../../src/ops/op.js';
import { fusedElementwiseOp, type ChainStep } from '../../src/graph/fusion.js';
import { dropoutBackwardOp } from '../../src/ops/dropout.js';
import type { Case, InputSpec } from '../harness.js';

type Half = NonNullable<Case['half']>;
type Spec = InputSpec | number[];

function opNamed(name: string): OpDef {
  const op = opTable().get(name);
  if (!op) throw new Error(`half-elementwise: no op '${name}'`);
  return op;
}

/** Every storage combination with at least one f16 binding: `nIn` input flags (of which `reads` may be set) and one output. */
function storages(nIn: number, reads: number[] = Array.from({ length: nIn }, (_, i) => i)): Half[] {
  const out: Half[] = [];
  const bits = reads.length + 1;
  for (let m = 1; m < 1 << bits; m++) {
    const inputs = Array.from({ length: nIn }, () => false);
    reads.forEach((i, k) => (inputs[i] = ((m >> k) & 1) === 1));
    out.push({ inputs, outputs: [((m >> reads.length) & 1) === 1] });
  }
  return out;
}

const ALL_HALF = (nIn: number, reads: number[] = Array.from({ length: nIn }, (_, i) => i)): Half =>
  ({ inputs: Array.from({ length: nIn }, (_, i) => reads.includes(i)), outputs: [true] });
const IN_ONLY = (nIn: number): Half => ({ inputs: Array.from({ length: nIn }, () => true), outputs: [false] });
const OUT_ONLY = (nIn: number): Half => ({ inputs: Array.from({ length: nIn }, () => false), outputs: [true] });

function label(h: Half): string {
  const i = h.inputs.map((b) => (b ? 'h' : 'f')).join('');
  return `[${i} -> ${(h.outputs ?? []).map((b) => (b ? 'h' : 'f')).join('')}]`;
}

function expand(name: string, inputs: Spec[], fn: Case['fn'], halves: Half[], extra: Partial<Case> = {}): Case[] {
  return halves.map((half) => ({ name: `${name} ${label(half)}`, inputs, fn, half, grad: false, ...extra }));
}

const positive = (shape: number[]): InputSpec => ({ shape, range: [0.2, 2] });
/** Values at f16's edges: ±∞, NaN, 65504 (the largest finite f16), a subnormal, ±0 and ordinary values. */
const EDGES = [Infinity, -Infinity, NaN, 65504, -65504, 3e-6, 0, -0, 1.5, -2.25, 0.1];

export const cases: Case[] = [];

// ---- unary ops: every op all-half; a few in every combination, odd sizes and many workgroups ------
const unaryOps: [string, (x: Tensor) => Tensor, Spec][] = [
  ['neg', sg.neg, [13]],
  ['exp', sg.exp, { shape: [13], range: [-4, 4] }],
  ['log', sg.log, positive([13])],
  ['sqrt', sg.sqrt, positive([13])],
  ['relu', sg.relu, [13]],
  ['sigmoid', sg.sigmoid, { shape: [13], range: [-8, 8] }],
  ['tanh', sg.tanh, { shape: [13], range: [-3, 3] }],
  ['abs', sg.abs, [13]],
  ['step', sg.step, [13]],
  ['sign', sg.sign, [13]],
  ['square', sg.square, [13]],
  ['reciprocal', sg.reciprocal, positive([13])],
  ['scale', (x) => sg.scale(x, -2.5), [13]],
  ['shift', (x) => sg.shift(x, 0.75), [13]],
  ['powScalar', (x) => sg.powScalar(x, 1.7), positive([13])],
  ['copy', sg.copy, [13]],
];
for (const [name, fn, spec] of unaryOps) cases.push(...expand(`unary ${name} [13]`, [spec], fn, [ALL_HALF(1)]));
cases.push(
  ...expand('unary relu [1]', [[1]], sg.relu, storages(1)),
  ...expand('unary sigmoid [2]', [[2]], sg.sigmoid, storages(1)),
  ...expand('unary exp [3,7]', [[3, 7]], sg.exp, storages(1)),
  ...expand('unary tanh [70001] (many workgroups)', [{ shape: [70001], range: [-3, 3] }], sg.tanh, storages(1)),
  ...expand('unary square [512] (exactly 1 workgroup of words)', [[512]], sg.square, storages(1)),
  ...expand('unary copy: ±∞, NaN, 65504, subnormal, ±0 pass through', [{ shape: [11], values: EDGES }], sg.copy, storages(1)),
  ...expand('unary scale ×1000 of x≈100 overflows to ±∞ in f16', [{ shape: [5], values: [100, -99.5, 65.5, 65.52, 0.01] }], (x) => sg.scale(x, 1000), [OUT_ONLY(1), ALL_HALF(1)]),
  ...expand('unary relu keeps NaN and -∞ → 0 from f16', [{ shape: [5], values: [NaN, -Infinity, Infinity, -1, 2] }], sg.relu, storages(1)),
  ...expand('unary log: negative → NaN, 0 → -∞ into f16', [{ shape: [5], values: [-2, 0, 1e-3, 4, 60000] }], sg.log, storages(1)),
  // 65504 + 16 rounds to +∞ in f16, 65504 + 15 down to 65504 (saturation below the overflow threshold).
  ...expand('unary shift across 65504: saturates, then overflows', [{ shape: [4], values: [65504, 65504, -65504, 65000] }], (x) => sg.shift(x, 15.5), [OUT_ONLY(1)]),
);

// ---- binary ops: every combination of storage per layout ----------------------------------------
cases.push(
  ...expand('binary add same shape [5,7]', [[5, 7], [5, 7]], sg.add, storages(2)),
  ...expand('binary add row broadcast [5,3]+[3]', [[5, 3], [3]], sg.add, storages(2)),
  ...expand('binary sub column broadcast [4,1]-[4,6]', [[4, 1], [4, 6]], sg.sub, storages(2)),
  ...expand('binary mul both broadcast [2,1,3]*[5,1]', [[2, 1, 3], [5, 1]], sg.mul, storages(2)),
  ...expand('binary div [7,3]/[1,3]', [[7, 3], positive([1, 3])], sg.div, storages(2)),
  // a number operand: a one-element tensor (b scalar), and a [1] tensor first (a scalar).
  ...expand('binary add number [3,3]+0.5', [[3, 3]], (x) => sg.add(x, 0.5), storages(2)),
  ...expand('binary mul [1]*[9] (a scalar)', [[1], [9]], sg.mul, storages(2)),
  ...expand('binary maximum [3,4] vs [4]', [[3, 4], [4]], sg.maximum, [ALL_HALF(2)]),
  ...expand('binary minimum [9]', [[9], [9]], sg.minimum, [ALL_HALF(2)]),
  ...expand('binary pow [7]^[7]', [positive([7]), [7]], sg.pow, [ALL_HALF(2)]),
  ...expand('binary gt [3,5] > [5] (0/1 into f16)', [[3, 5], [5]], sg.gt, [ALL_HALF(2), OUT_ONLY(2)]),
  ...expand('binary eq, ties from f16 rounding', [{ shape: [4], values: [1, 1.0001, 2, NaN] }, { shape: [4], values: [1, 1, 2.001, NaN] }], sg.eq, storages(2)),
  ...expand('binary ge [11]', [[11], [11]], sg.ge, [ALL_HALF(2)]),
  ...expand('binary rank 5 broadcast', [[2, 1, 3, 1, 2], [3, 4, 1]], sg.mul, [ALL_HALF(2), IN_ONLY(2)]),
  ...expand('binary add [70001] (many workgroups)', [[70001], [70001]], sg.add, [ALL_HALF(2), OUT_ONLY(2), IN_ONLY(2)]),
  ...expand('binary mul [7,10001]*[7,1] strided, many workgroups', [[7, 10001], [7, 1]], sg.mul, [ALL_HALF(2), { inputs: [false, true], outputs: [true] }]),
  ...expand('binary mul x≈100 × 1000 overflows to ±∞ in f16', [{ shape: [5], range: [99, 101] }, { shape: [5], values: [1000, -1000, 1000, 0.5, -1] }], sg.mul, [OUT_ONLY(2), ALL_HALF(2)]),
  ...expand('binary add ±∞ and NaN from f16', [{ shape: [6], values: [Infinity, -Infinity, NaN, 65504, 65504, 1] }, { shape: [6], values: [1, Infinity, 2, 65504, -65504, NaN] }], sg.add, storages(2)),
  ...expand('binary div by 0 → ±∞, 0/0 → NaN into f16', [{ shape: [4], values: [1, -1, 0, 3] }, { shape: [4], values: [0, 0, 0, 2] }], sg.div, storages(2)),
  ...expand('binary maximum / minimum propagate NaN from f16', [{ shape: [3], values: [NaN, -1, 2] }, { shape: [3], values: [0.5, NaN, 1] }], sg.maximum, [ALL_HALF(2)]),
);

// ---- where and expand -------------------------------------------------------------------------
cases.push(
  // The condition is never stored as f16 (a value below 2^-25 would turn into a false zero): the two
  // value inputs and the output are.
  ...expand('where [4,5], f32 cond [5], b [4,1] (broadcast)', [[5], [4, 5], [4, 1]], (c, a, b) => sg.where(sg.gt(c, 0), a, b), storages(3, [1, 2])),
  ...expand('where [9] same shapes', [[9], [9], [9]], (c, a, b) => sg.where(sg.gt(c, 0), a, b), [ALL_HALF(3, [1, 2]), OUT_ONLY(3)]),
  ...expand('where i32 cond, number branch', [[2, 3]], (a) => sg.where(sg.tensor(new Int32Array([1, 0, -7, 0, 1, 1]), [2, 3], { dtype: 'i32' }), a, -2), storages(3, [1, 2])),
  // An f32 cond stays f32 beside f16 values: NaN and 1e-9 (zero in f16) are true, ±0 false.
  ...expand('where f32 cond beside f16 values: NaN and 1e-9 true, ±0 false', [{ shape: [5], values: [NaN, 0, 1e-9, -0, -3] }, [5], [5]], (c, a, b) => sg.where(c, a, b), [ALL_HALF(3, [1, 2])]),
  ...expand('where: ∞ and NaN in the branch not taken do not leak', [{ shape: [4], values: [1, Infinity, NaN, -3] }], (a) => sg.where(sg.tensor([1, 0, 0, 1], [4]), a, 0.5), storages(3, [1, 2])),
  ...expand('where [70001] (many workgroups)', [[70001], [70001], [1]], (c, a, b) => sg.where(sg.gt(c, 0), a, b), [ALL_HALF(3, [1, 2])]),
  ...expand('expand [3,1] to [2,3,4]', [[3, 1]], (x) => sg.expand(x, [2, 3, 4]), storages(1)),
  ...expand('expand [1] to [7] (odd)', [[1]], (x) => sg.expand(x, [7]), storages(1)),
  ...expand('expand [3] to [5,3] (odd)', [[3]], (x) => sg.expand(x, [5, 3]), storages(1)),
  ...expand('expand [1,7] to [10001,7] (many workgroups)', [[1, 7]], (x) => sg.expand(x, [10001, 7]), storages(1)),
  ...expand('expand of ±∞, NaN, 65504', [{ shape: [4, 1], values: [Infinity, NaN, 65504, -Infinity] }], (x) => sg.expand(x, [4, 3]), storages(1)),
);

// ---- activations: forward, backward, second derivative -----------------------------------------
const acts: [string, (x: Tensor) => Tensor, { alpha: number; beta: number; threshold: number }][] = [
  ['leakyRelu', (x) => sg.leakyRelu(x, 0.1), { alpha: 0.1, beta: 1, threshold: 0 }],
  ['elu', (x) => sg.elu(x, 1.3), { alpha: 1.3, beta: 1, threshold: 0 }],
  ['gelu', (x) => sg.gelu(x), { alpha: 0, beta: 1, threshold: 0 }],
  ['geluTanh', (x) => sg.gelu(x, { approximate: 'tanh' }), { alpha: 0, beta: 1, threshold: 0 }],
  ['softplus', (x) => sg.softplus(x, { beta: 2, threshold: 3 }), { alpha: 0, beta: 2, threshold: 3 }],
  ['silu', (x) => sg.silu(x), { alpha: 0, beta: 1, threshold: 0 }],
];
for (const [kind, fn, p] of acts) {
  const x: InputSpec = { shape: [37], range: [-3, 3] };
  cases.push(
    ...expand(`activation ${kind} [37]`, [x], fn, storages(1)),
    ...expand(`activation ${kind}Backward [37]`, [x, [37]], (a, dy) => apply1(opNamed(`${kind}Backward`), [a, dy], p), storages(2)),
    ...expand(`activation ${kind}SecondDerivative [37]`, [x, [37]], (a, g) => apply1(opNamed(`${kind}SecondDerivative`), [a, g], p), [ALL_HALF(2), OUT_ONLY(2)]),
  );
}
cases.push(
  ...expand('activation gelu [70001] (many workgroups)', [{ shape: [70001], range: [-4, 4] }], (x) => sg.gelu(x), [ALL_HALF(1)]),
  ...expand('activation geluBackward [70001] (many workgroups)', [{ shape: [70001], range: [-4, 4] }, [70001]], (a, dy) => apply1(opNamed('geluBackward'), [a, dy], { alpha: 0, beta: 1, threshold: 0 }), [ALL_HALF(2)]),
  ...expand('activation leakyRelu of ±∞, NaN, 65504', [{ shape: [11], values: EDGES }], (x) => sg.leakyRelu(x, 0.5), storages(1)),
  ...expand('activation silu overflow: 70000 into f16 is +∞', [{ shape: [3], values: [70000, -70000, 1] }], (x) => sg.silu(x), [OUT_ONLY(1)]),
);

// ---- fused elementwise chains (compile's fusion pass; chain_forward) -----------------------------
/** A fused node as src/graph/fusion.ts builds it: registers 0–3 are the inputs, 4 + s the result of step s. */
function chain(shape: number[], steps: [ChainStep['kind'], string, number, number, number?][]) {
  const prog: ChainStep[] = steps.map(([kind, op, a, b, alpha]) => ({ kind, op, a, b, alpha: alpha ?? 0 }));
  return (...ins: Tensor[]) => apply1(fusedElementwiseOp, ins, { steps: prog, shape, ops: prog.map((s) => s.op) });
}
// sigmoid(x·y + z) · 3, z one element (broadcast): 4 ops, 3 inputs.
const chain3 = chain([7, 9], [['binary', 'mul', 0, 1], ['binary', 'add', 4, 2], ['unary', 'sigmoid', 5, 0], ['unary', 'scale', 6, 0, 3]]);
// relu(x − y) · z + w, then tanh: 5 ops over 4 inputs.
const chain4 = (shape: number[]) => chain(shape, [['binary', 'sub', 0, 1], ['unary', 'relu', 4, 0], ['binary', 'mul', 5, 2], ['binary', 'add', 6, 3], ['unary', 'tanh', 7, 0]]);
// exp(x) · 1000: overflows f16 where exp(x) > 65.52.
const chainOverflow = chain([6], [['unary', 'exp', 0, 0], ['unary', 'scale', 4, 0, 1000], ['binary', 'add', 5, 1]]);
cases.push(
  ...expand('fused sigmoid(x·y + z)·3 [7,9], z [1]', [[7, 9], [7, 9], [1]], chain3, storages(3)),
  ...expand('fused tanh(relu(x − y)·z + w) [5,3] (5 ops, 4 inputs)', [[5, 3], [5, 3], [5, 3], [1]], chain4([5, 3]), storages(4)),
  ...expand('fused 5 ops, 4 inputs [70001] (many workgroups)', [[70001], [70001], [70001], [70001]], chain4([70001]), [ALL_HALF(4), { inputs: [true, false, true, false], outputs: [true] }, { inputs: [false, true, false, true], outputs: [false] }]),
  ...expand('fused size 1', [[1], [1], [1]], chain([1], [['binary', 'mul', 0, 1], ['binary', 'add', 4, 2], ['unary', 'neg', 5, 0]]), storages(3)),
  ...expand('fused exp(x)·1000 + y overflows to +∞ in f16', [{ shape: [6], values: [1, 4, 4.2, 5, 11.2, -1] }, { shape: [6], values: [0, 0, 1, NaN, -Infinity, 2] }], chainOverflow, [OUT_ONLY(2), ALL_HALF(2), { inputs: [false, true], outputs: [true] }]),
);

// ---- permute: permute_forward (any stride), permute_rows (last dim contiguous, software adapters) --
cases.push(
  ...expand('permute transpose [3,5]', [[3, 5]], (x) => sg.transpose(x), storages(1)),
  ...expand('permute transpose [2,7]', [[2, 7]], (x) => sg.transpose(x), storages(1)),
  ...expand('permute [2,3,5] -> [2,0,1]', [[2, 3, 5]], (x) => sg.permute(x, [2, 0, 1]), storages(1)),
  ...expand('permute [3,4,5,7] -> [3,1,0,2] (rank 4, odd dims)', [[3, 4, 5, 7]], (x) => sg.permute(x, [3, 1, 0, 2]), storages(1)),
  // the last dimension stays contiguous: permute_rows with an even run; with an odd run (5) a half y
  // falls back to permute_forward (rows would share words), an f32 y still takes permute_rows.
  ...expand('permute split heads [2,3,2,4] -> [0,2,1,3] (run 4)', [[2, 3, 2, 4]], (x) => sg.permute(x, [0, 2, 1, 3]), storages(1)),
  ...expand('permute split heads [2,3,2,5] -> [0,2,1,3] (odd run 5)', [[2, 3, 2, 5]], (x) => sg.permute(x, [0, 2, 1, 3]), storages(1)),
  ...expand('permute merged run [3,2,4,3] -> [1,0,2,3] (run 12)', [[3, 2, 4, 3]], (x) => sg.permute(x, [1, 0, 2, 3]), storages(1)),
  ...expand('permute [3,5,7] -> [1,0,2] (odd run 7)', [[3, 5, 7]], (x) => sg.permute(x, [1, 0, 2]), storages(1)),
  ...expand('permute transpose [301,233] (many workgroups)', [[301, 233]], (x) => sg.transpose(x), storages(1)),
  ...expand('permute [40,3,583] -> [1,0,2] (rows, many rows)', [[40, 3, 583]], (x) => sg.permute(x, [1, 0, 2]), storages(1)),
  ...expand('permute [40,3,584] -> [1,0,2] (rows, even run, many rows)', [[40, 3, 584]], (x) => sg.permute(x, [1, 0, 2]), storages(1)),
  ...expand('permute of ±∞, NaN, 65504', [{ shape: [11, 1], values: EDGES }], (x) => sg.permute(sg.expand(x, [11, 3]), [1, 0]), storages(1)),
);

// ---- dropout forward and backward (the i32 key stays 32-bit) ------------------------------------
cases.push(
  ...expand('dropout p 0.3 [7,13]', [[7, 13]], (x) => sg.dropout(x, 0.3, { seed: 1 }), storages(2, [0])),
  ...expand('dropout p 0.5 [1]', [[1]], (x) => sg.dropout(x, 0.5, { seed: 7 }), storages(2, [0])),
  ...expand('dropout p 0.1 [70001] offset 17 (many workgroups)', [[70001]], (x) => sg.dropout(x, 0.1, { seed: 3, offset: 17 }), storages(2, [0])),
  ...expand('dropout p 0.5 offset 2^32 − 5 [11]', [[11]], (x) => sg.dropout(x, 0.5, { seed: 5, offset: 2 ** 32 - 5 }), storages(2, [0])),
  ...expand('dropout p 0.2 of ±∞, NaN, 65504 (scaled: 65504 / 0.8 overflows)', [{ shape: [11], values: EDGES }], (x) => sg.dropout(x, 0.2, { seed: 11 }), storages(2, [0])),
  ...expand('dropoutBackward p 0.4 [9,5]', [[9, 5]], (dy) => apply1(dropoutBackwardOp, [dy, sg.tensor(new Int32Array([42, 9]), [2], { dtype: 'i32' })], { p: 0.4, offset: 3 }), storages(2, [0])),
  ...expand('dropoutBackward p 0.25 [70001]', [[70001]], (dy) => apply1(dropoutBackwardOp, [dy, sg.tensor(new Int32Array([-5, 77]), [2], { dtype: 'i32' })], { p: 0.25, offset: 0 }), storages(2, [0])),
);

// ---- slice and its backward (the qkv split of attention) ----------------------------------------
// f16 in / f32 out, f32 in / f16 out, f16 both: the f16 → f16 path moves the 16 bits, f32 → f16 rounds.
// Odd counts (the last word half used), steps, the middle / first / last axis, many workgroups, ±∞ /
// NaN / 65504 and a value past 65520 (+∞ on the way out only when written as f16).
const sliceBackward = opNamed('sliceBackward');
cases.push(
  ...expand('slice qkv split [3,2,4,5,6][1] (axis 0)', [[3, 2, 4, 5, 6]], (x) => sg.slice(x, 0, 1, 2), storages(1)),
  ...expand('slice [5,7] columns 1:6:2 (odd rows of 3)', [[5, 7]], (x) => sg.slice(x, 1, 1, 6, 2), storages(1)),
  ...expand('slice [9,4,3] rows 2:9:3 (middle axis of one)', [[9, 4, 3]], (x) => sg.slice(x, 0, 2, 9, 3), storages(1)),
  ...expand('slice [7,3] last row (3 values: one word and a half)', [[7, 3]], (x) => sg.slice(x, 0, 6), storages(1)),
  ...expand('slice [3,70001] middle row (many workgroups)', [[3, 70001]], (x) => sg.slice(x, 0, 1, 2), storages(1)),
  ...expand('slice of ±∞, NaN, 65504, 70000', [{ shape: [13], values: [1, ...EDGES, 70000] }], (x) => sg.slice(x, 0, 1, 13), storages(1)),
  ...expand('sliceBackward [3,2,4,5,6] from the middle block', [[1, 2, 4, 5, 6]], (dy) => apply1(sliceBackward, [dy], { axis: 0, start: 1, step: 1, size: 3 }), storages(1)),
  ...expand('sliceBackward [5,7] columns 1:6:2', [[5, 3]], (dy) => apply1(sliceBackward, [dy], { axis: 1, start: 1, step: 2, size: 7 }), storages(1)),
  ...expand('sliceBackward [9,4,3] rows 2:9:3 (odd total 108 … 27 taken)', [[3, 4, 3]], (dy) => apply1(sliceBackward, [dy], { axis: 0, start: 2, step: 3, size: 9 }), storages(1)),
  ...expand('sliceBackward [3,70001] middle row (many workgroups)', [[1, 70001]], (dy) => apply1(sliceBackward, [dy], { axis: 0, start: 1, step: 1, size: 3 }), storages(1)),
  ...expand('sliceBackward of ±∞, NaN, 65504 into [1,23]', [{ shape: [1, 11], values: EDGES }], (dy) => apply1(sliceBackward, [dy], { axis: 1, start: 1, step: 2, size: 23 }), storages(1)),
);
