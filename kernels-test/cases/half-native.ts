// matmul's native-f16 version 'f16native' (shaders/matmul_f16.wgsl, src/ops/matmul-f16.ts): A and B
// read from f16 storage as array<f16>, C written as f32 or f16, against the reference on the
// f16-rounded inputs (harness half cases); linear (x·Wᵀ + b, fused activation) the same way at the
// end. Forced with `version: 'f16native'` over odd and prime
// sizes, sizes below and across the 64 / 128 blocks (4- and 8-wide register tiles), K not a multiple
// of the 16-value slice, every transpose, batches and broadcast batches, an f16 C with N even and
// with one row of odd N, overflow to ±∞ in an f16 C, and ±∞ / NaN inputs. Every case needs the
// device feature `shader-f16`: where the adapter lacks it (SwiftShader) each reports
// 'not run: adapter lacks shader-f16' (kernels-test/harness.ts), never a silent skip.
// kernels-test/node/shader-f16.test.ts runs the same kernel code with f32 in place of f16 here, and
// this table's cases with another half-storage version in place of f16native (so the cases themselves,
// their inputs, edge values and tolerances, are checked where f16native cannot run).
import * as sg from '../../src/index.js';
import type { MatmulVersion, Tensor } from '../../src/index.js';
import type { Case, InputSpec } from '../harness.js';

interface Shape {
  name: string;
  a: (InputSpec | number[]);
  b: (InputSpec | number[]);
  transA?: boolean;
  transB?: boolean;
  /** Whether the output can be f16 (N even, or a single row). */
  halfOut: boolean;
  atol?: number;
}

const SHAPES: Shape[] = [
  { name: '1×1×1', a: [1, 1], b: [1, 1], halfOut: true },
  { name: '7×7×7', a: [7, 7], b: [7, 7], halfOut: false },
  { name: '33×65×18 (K past the 16 slices)', a: [33, 65], b: [65, 18], halfOut: true },
  { name: '33×65×17', a: [33, 65], b: [65, 17], halfOut: false },
  { name: 'transA 17×9×12', a: [9, 17], b: [9, 12], transA: true, halfOut: true },
  { name: 'transB 5×70×13', a: [5, 70], b: [13, 70], transB: true, halfOut: false },
  { name: 'transA transB 66×3×8', a: [3, 66], b: [8, 3], transA: true, transB: true, halfOut: true },
  { name: 'batched [3,5,7]×[3,7,4]', a: [3, 5, 7], b: [3, 7, 4], halfOut: true },
  { name: 'broadcast batch [2,3,4,5]×[5,6]', a: [2, 3, 4, 5], b: [5, 6], halfOut: true },
  { name: 'broadcast batch transB [3,6]×[2,8,6]', a: [3, 6], b: [2, 8, 6], transB: true, halfOut: true },
  { name: 'one row of odd N 1×13×7', a: [1, 13], b: [13, 7], halfOut: true },
  { name: 'across 64 blocks 130×20×132', a: [130, 20], b: [20, 132], halfOut: true, atol: 1e-4 },
  { name: '8-wide tiles, across 128 blocks 600×24×520', a: [600, 24], b: [24, 520], halfOut: true, atol: 1e-4 },
  { name: '8-wide rows, transA 520×33×70', a: [33, 520], b: [33, 70], transA: true, halfOut: true, atol: 1e-4 },
];

/** The table with `version` forced (f16native: `cases`, below), each case requiring `requires`. */
export function halfNativeTable(version: MatmulVersion, requires: string[]): Case[] {
  const cases: Case[] = [];
  const push = (c: Omit<Case, 'requires'>) => cases.push({ ...c, name: c.name.replace('f16native', version), requires });
  const mm = (transA = false, transB = false) => (a: Tensor, b: Tensor) => sg.matmul(a, b, { transA, transB, version });

  for (const s of SHAPES) {
    const fn = mm(s.transA, s.transB);
    push({ name: `f16native ${s.name}, f32 C`, inputs: [s.a, s.b], fn, half: { inputs: [true, true], outputs: [false] }, atol: s.atol });
    if (s.halfOut) {
      push({ name: `f16native ${s.name}, f16 C`, inputs: [s.a, s.b], fn, half: { inputs: [true, true], outputs: [true] }, atol: s.atol });
    }
  }

  // Sums past 65520 become +∞ in an f16 C (values in [200, 300], K = 8: sums ≥ 320000) and stay finite
  // in an f32 C; ±∞ and NaN inputs pass through (∞·b is ±∞ by b's sign, NaN makes its row NaN).
  const big: InputSpec = { shape: [4, 8], range: [200, 300] };
  const bigB: InputSpec = { shape: [8, 6], range: [200, 300] };
  push({ name: 'f16native overflow: f16 C is +∞ past 65520', inputs: [big, bigB], fn: mm(), half: { inputs: [true, true], outputs: [true] } });
  push({ name: 'f16native overflow: f32 C stays finite', inputs: [big, bigB], fn: mm(), half: { inputs: [true, true], outputs: [false] } });
  const special: InputSpec = { shape: [3, 2], values: [Infinity, 0.5, -Infinity, 0.25, NaN, 1] };
  for (const out of [false, true]) {
    push({
      name: `f16native ±∞ / NaN inputs, ${out ? 'f16' : 'f32'} C`, inputs: [special, { shape: [2, 4], range: [-1, 1] }],
      fn: mm(), half: { inputs: [true, true], outputs: [out] },
    });
  }
  // 65504, the largest finite f16, times 1: exact.
  const max: InputSpec = { shape: [2, 2], values: [65504, 0, 0, -65504] };
  push({ name: 'f16native ±65504 × identity, f16 C', inputs: [max, { shape: [2, 2], values: [1, 0, 0, 1] }], fn: mm(), half: { inputs: [true, true], outputs: [true] } });

  // linear with the version forced: x and W f16 (what the version needs), the bias f32 or f16, y f32
  // or f16 (N even), the fused bias + activation epilogue; a batch of rows [3,4,·] and no bias.
  const lin = (activation: sg.LinearActivation, bias = true) => (x: Tensor, w: Tensor, b?: Tensor) =>
    sg.linear(x, w, bias ? b : null, { activation, version: version as sg.LinearVersion });
  const T = true;
  const F = false;
  push({ name: 'f16native linear 5×70 → 12 + f32 bias, relu, f32 y', inputs: [[5, 70], [12, 70], [12]], fn: lin('relu'), half: { inputs: [T, T, F], outputs: [F] } });
  push({ name: 'f16native linear 5×70 → 12 + f16 bias, relu, f16 y', inputs: [[5, 70], [12, 70], [12]], fn: lin('relu'), half: { inputs: [T, T, T], outputs: [T] } });
  push({ name: 'f16native linear [3,4,33] → 18 + f16 bias, tanh, f16 y', inputs: [[3, 4, 33], [18, 33], [18]], fn: lin('tanh'), half: { inputs: [T, T, T], outputs: [T] } });
  push({ name: 'f16native linear 130×24 → 132, 8-wide tiles, f32 bias, f16 y', inputs: [[130, 24], [132, 24], [132]], fn: lin('none'), half: { inputs: [T, T, F], outputs: [T] }, atol: 1e-4 });
  push({ name: 'f16native linear 7×16 → 9 without bias, sigmoid, f32 y', inputs: [[7, 16], [9, 16]], fn: lin('sigmoid', false), half: { inputs: [T, T], outputs: [F] } });
  return cases;
}

export const cases: Case[] = halfNativeTable('f16native', ['shader-f16']);
