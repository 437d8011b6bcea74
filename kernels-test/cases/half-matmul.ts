// Half-precision storage (compile's precision: 'mixed') of matmul and linear: the op runs on
// f16-packed operands and/or writes an f16-packed C (harness.ts, checkHalfCase), against its
// reference on the f16-rounded inputs.
//
// The versions a fixed rule runs on some adapter — naive, tiled, vec4, splitk (f32 partials, the
// reduce pass writes the half C) and reg — take every combination of A / B half and C half, on odd M
// and K with N = 18 and N = 20 (the vec4 version runs its vec4 loads with only A half, its tiled form
// otherwise), transposes, batched and broadcast batches, more than one workgroup each way, a single
// row with odd N (the last word half used), split-K on a long K, and values that overflow a half C to
// ±∞ (65504 kept, 65520 and above → ∞) or pass ±∞ / NaN through from a half A. The #17 candidates
// (tile4x4 / 8x4 / 8x8, tile…v4, tile8x8db, subgroup) take the same combinations on the scalar-load
// shapes, plus vec4-eligible shapes where only C is half (their vec4 loads with half stores) or A is
// (their scalar form). linear: every combination of x / W / bias half and y half with the fused
// bias + relu epilogue on tiled, reg and 'auto', the other activations, no bias, every candidate.
// The rules themselves (which shapes refuse a half C, which versions a half operand excludes) are
// checked in kernels-test/node/half-matmul.test.ts.
import * as sg from '../../src/index.js';
import type { Case, InputSpec } from '../harness.js';
import type { MatmulVersion, Tensor } from '../../src/index.js';

const fixedVersions: MatmulVersion[] = ['naive', 'tiled', 'vec4', 'splitk', 'reg'];
const candidates: (sg.LinearVersion & MatmulVersion)[] = ['tile4x4', 'tile8x4', 'tile8x8', 'tile4x4v4', 'tile8x4v4', 'tile8x8v4', 'tile8x8db', 'subgroup'];
const needs = (version: string) => (version === 'subgroup' ? { requires: ['subgroups'] } : {});

/** Which of A, B (, bias) and C are f16. */
type Flags = { a: boolean; b: boolean; bias?: boolean; c: boolean };
const f = (a: number, b: number, c: number, bias?: number): Flags => ({ a: !!a, b: !!b, c: !!c, ...(bias === undefined ? {} : { bias: !!bias }) });
/** Every combination with at least one half tensor: A, B, C. */
const COMBOS: Flags[] = [f(1, 0, 0), f(0, 1, 0), f(0, 0, 1), f(1, 1, 0), f(1, 0, 1), f(0, 1, 1), f(1, 1, 1)];
const ALL = f(1, 1, 1);
const IN_ONLY = f(1, 1, 0);
const OUT_ONLY = f(0, 0, 1);
const tag = (h: Flags) => {
  const ins = [h.a && 'A', h.b && 'B', h.bias && 'bias'].filter(Boolean).join('·');
  return `${ins || 'f32'} in → C ${h.c ? 'f16' : 'f32'}`;
};

const cases: Case[] = [];

function mm(version: MatmulVersion, h: Flags, what: string, inputs: (InputSpec | number[])[], o: { transA?: boolean; transB?: boolean } = {},
  tol: { atol?: number; rtol?: number } = {}): void {
  cases.push({
    name: `matmul ${version} ${tag(h)} ${what}`, inputs,
    fn: (a, b) => sg.matmul(a, b, { ...o, version }),
    half: { inputs: [h.a, h.b], outputs: [h.c] }, atol: 1e-4, ...tol, ...needs(version),
  });
}

// Special values. Rows of A summing to ±1 (0.5 + 0.25 + 0.125 + 0.125, exact) times B rows all equal
// to `edge`: C = ±edge, stored half: 65504 and 65519 become 65504, 65520, 70000 and 1e9 ±∞. K = 4 and
// N = 8 allow the vec4 loads.
const edge = [65504, 65519, 65520, 70000, 1e9, -1e9, 0.375, -2.5];
const overflowInputs = (): InputSpec[] => [
  { shape: [2, 4], values: [0.5, 0.25, 0.125, 0.125, -0.5, -0.25, -0.125, -0.125] },
  { shape: [4, 8], values: [...edge, ...edge, ...edge, ...edge] },
];
// A half with ±∞ and NaN, and 65504 in two terms (131008: past f16, finite in an f32 C, ∞ in a half C).
const specialInputs = (): InputSpec[] => [
  { shape: [4, 3], values: [Infinity, 1, 1, NaN, 1, 1, -Infinity, 0.5, 1, 65504, 65504, 1] },
  { shape: [3, 6], range: [0.5, 1] },
];

function matmulSet(version: MatmulVersion, combos: readonly Flags[]): void {
  for (const h of combos) {
    mm(version, h, '33×65×18', [[33, 65], [65, 18]]);
    mm(version, h, '33×65×20', [[33, 65], [65, 20]]);
  }
  for (const h of [ALL, IN_ONLY]) {
    mm(version, h, 'transA 17×9×12', [[9, 17], [9, 12]], { transA: true });
    mm(version, h, 'transB 5×70×14', [[5, 70], [14, 70]], { transB: true });
    mm(version, h, 'transA transB 66×3×8', [[3, 66], [8, 3]], { transA: true, transB: true });
  }
  mm(version, ALL, 'batched [3,5,7]×[3,7,4]', [[3, 5, 7], [3, 7, 4]]);
  mm(version, ALL, 'broadcast batch [2,3,4,5]×[5,6]', [[2, 3, 4, 5], [5, 6]]);
  mm(version, IN_ONLY, 'batched, odd M·N [3,5,7]×[3,7,3]', [[3, 5, 7], [3, 7, 3]]);
  mm(version, ALL, 'several workgroups 129×9×130', [[129, 9], [9, 130]]);
  mm(version, OUT_ONLY, 'several workgroups 129×9×130', [[129, 9], [9, 130]]);
  mm(version, ALL, 'one row, odd N 1×7×5', [[1, 7], [7, 5]]);
  mm(version, OUT_ONLY, 'overflow to ±∞ 2×4×8', overflowInputs());
  mm(version, IN_ONLY, 'edge values rounded to f16 in B (65520 → ∞), f32 C 2×4×8', overflowInputs());
  mm(version, ALL, '±∞ and NaN through 4×3×6', specialInputs());
  mm(version, f(1, 0, 0), '±∞ and NaN through, f32 C 4×3×6', specialInputs());
}

for (const version of fixedVersions) matmulSet(version, COMBOS);
// Split-K on a long K: 16 slices, their f32 partials summed into the half C.
for (const h of COMBOS) mm('splitk', h, 'K=1001 7×1001×6', [[7, 1001], [1001, 6]]);
mm('splitk', ALL, 'batched K=300 [2,5,300]×[2,300,4]', [[2, 5, 300], [2, 300, 4]]);
mm('splitk', ALL, 'transA K=512 (weight gradient) 10×512×128', [[512, 10], [512, 128]], { transA: true });
// 'auto' (whatever the rule picks here) on a partially broadcast batch, expanded before the matmul.
mm('auto', ALL, 'partial batch broadcast [2,1,3,4]×[1,3,4,2]', [[2, 1, 3, 4], [1, 3, 4, 2]]);
mm('auto', ALL, '9×640×12 (split-K on a GPU)', [[9, 640], [640, 12]]);

// The scalar-load candidates on the same set. (The tile…v4 / tile8x8db versions run exactly these
// kernels on those shapes, none of which allows vec4 loads: their own set is below.)
for (const version of ['tile4x4', 'tile8x4', 'tile8x8', 'subgroup'] as const) matmulSet(version, COMBOS);
// Shapes whose operands allow vec4 loads: with only C half the tile…v4 / tile8x8db versions run them
// (and store half pairs); with a half operand they run their scalar forms.
for (const version of ['tile4x4v4', 'tile8x4v4', 'tile8x8v4', 'tile8x8db'] as const) {
  for (const h of [OUT_ONLY, f(1, 0, 1), f(0, 1, 0), ALL]) {
    mm(version, h, 'vec4 36×20×132', [[36, 20], [20, 132]]);
  }
  mm(version, OUT_ONLY, 'vec4 transB 12×132×40', [[12, 132], [40, 132]], { transB: true });
  mm(version, OUT_ONLY, 'vec4 transA transB 8×4×12', [[4, 8], [12, 4]], { transA: true, transB: true });
  mm(version, OUT_ONLY, 'vec4 batched [3,12,8]×[3,8,16]', [[3, 12, 8], [3, 8, 16]]);
  mm(version, OUT_ONLY, 'vec4 overflow to ±∞ 2×4×8', overflowInputs());
  mm(version, ALL, '±∞ and NaN through 4×3×6', specialInputs());
}

// ---- linear: act(x·Wᵀ + b) ----
type Act = sg.LinearActivation;
function lin(version: sg.LinearVersion, h: Flags, activation: Act, what: string, inputs: (InputSpec | number[])[],
  tol: { atol?: number; rtol?: number } = {}): void {
  const hasBias = inputs.length === 3;
  cases.push({
    name: `linear ${version} ${activation} ${tag(h)} ${what}`, inputs,
    fn: (x: Tensor, w: Tensor, b?: Tensor) => sg.linear(x, w, b ?? null, { activation, version }),
    half: { inputs: hasBias ? [h.a, h.b, !!h.bias] : [h.a, h.b], outputs: [h.c] }, atol: 1e-4, ...tol, ...needs(version),
  });
}
/** Every combination of x, W, bias and y with at least one half. */
const LINEAR_COMBOS: Flags[] = [];
for (let m = 1; m < 16; m++) LINEAR_COMBOS.push(f(m & 1, (m >> 1) & 1, (m >> 3) & 1, (m >> 2) & 1));
const LIN_ALL = f(1, 1, 1, 1);

for (const version of ['auto', 'tiled', 'reg'] as const) {
  for (const h of LINEAR_COMBOS) lin(version, h, 'relu', '[33,13]·[18,13]ᵀ + b', [[33, 13], [18, 13], [18]]);
  for (const h of COMBOS) lin(version, h, 'none', 'no bias [9,17]·[12,17]ᵀ', [[9, 17], [12, 17]]);
  lin(version, LIN_ALL, 'sigmoid', '[129,9]·[66,9]ᵀ + b (several workgroups)', [[129, 9], [66, 9], [66]]);
  lin(version, LIN_ALL, 'tanh', 'rank 3 [2,3,7]·[6,7]ᵀ + b', [[2, 3, 7], [6, 7], [6]]);
  lin(version, LIN_ALL, 'relu', 'one row, odd N [1,13]·[5,13]ᵀ + b', [[1, 13], [5, 13], [5]]);
  lin(version, f(1, 1, 0, 1), 'relu', 'odd N, f32 y [7,13]·[5,13]ᵀ + b', [[7, 13], [5, 13], [5]]);
}
// Overflow through the bias: 100·100·2 = 20000, 400·400·2 = 80000 → ∞, 65000 + 0.5·2·100 = 65100.
const linOverflow = (): InputSpec[] => [
  { shape: [2, 2], values: [100, 100, -100, -100] },
  { shape: [4, 2], values: [100, 100, 0.5, 0.5, 1, 1, 400, 400] },
  { shape: [4], values: [0, 65000, 1, -1] },
];
for (const version of ['tiled', 'reg'] as const) {
  lin(version, f(0, 0, 1, 1), 'none', 'overflow to ±∞ through the bias', linOverflow());
  lin(version, f(0, 0, 0, 1), 'none', 'half bias, f32 y (no overflow)', linOverflow());
}
for (const version of candidates) {
  lin(version, LIN_ALL, 'relu', '[33,13]·[18,13]ᵀ + b', [[33, 13], [18, 13], [18]]);
  lin(version, f(1, 0, 0, 0), 'relu', '[33,13]·[18,13]ᵀ + b', [[33, 13], [18, 13], [18]]);
  lin(version, f(0, 0, 1, 1), 'relu', 'K % 4 = 0 [132,20]·[36,20]ᵀ + b', [[132, 20], [36, 20], [36]]);
  lin(version, f(0, 0, 1, 1), 'none', 'overflow to ±∞ through the bias', linOverflow());
}

export { cases };
