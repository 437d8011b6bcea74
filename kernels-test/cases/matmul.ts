// Matmul (shaders/matmul.wgsl, matmul_subgroup.wgsl), every version: naive, tiled, tiled_vec4,
// splitk, reg, the register-tile versions tile4x4 / tile8x4 / tile8x8, their vec4-load forms
// tile…v4, the double-buffered tile8x8db and subgroup (and auto), with sizes 1, 7, 31, 64, 129 and
// 33×65×17, transposes and broadcast batches; shapes whose vec4 loads apply (multiples of 4, above
// and below the 64/128 blocks, K not a multiple of the slice, K = 4) for every register-tile version;
// split-K on long K (1000, 1001, 512) with small odd M and N; linear with its fused bias + activation
// epilogue, against the reference and against the unfused composite act(matmul + bias). The
// subgroup cases need the `subgroups` feature and say "not run" where the adapter lacks it.
import * as sg from '../../src/index.js';
import type { Case } from '../harness.js';
import type { MatmulVersion, Tensor } from '../../src/index.js';

const tileVersions: MatmulVersion[] = ['tile4x4', 'tile8x4', 'tile8x8', 'tile4x4v4', 'tile8x4v4', 'tile8x8v4', 'tile8x8db', 'subgroup'];
const versions: MatmulVersion[] = ['naive', 'tiled', 'vec4', 'splitk', 'reg', ...tileVersions];
const needs = (version: MatmulVersion) => (version === 'subgroup' ? { requires: ['subgroups'] } : {});
const cases: Case[] = [];
const push = (c: Case, version: MatmulVersion) => cases.push({ ...c, ...needs(version) });
for (const version of versions) {
  for (const n of [1, 7, 31, 64, 129]) {
    push({ name: `${version} ${n}×${n}×${n}`, inputs: [[n, n], [n, n]], fn: (a, b) => sg.matmul(a, b, { version }), atol: 1e-4, rtol: 1e-4 }, version);
  }
  push({ name: `${version} 33×65×17`, inputs: [[33, 65], [65, 17]], fn: (a, b) => sg.matmul(a, b, { version }), atol: 1e-4 }, version);
  push({ name: `${version} 33×65×20 (N % 4 = 0)`, inputs: [[33, 65], [65, 20]], fn: (a, b) => sg.matmul(a, b, { version }), atol: 1e-4 }, version);
  push({ name: `${version} transA 17×9×12`, inputs: [[9, 17], [9, 12]], fn: (a, b) => sg.matmul(a, b, { transA: true, version }), atol: 1e-4 }, version);
  push({ name: `${version} transB 5×70×13`, inputs: [[5, 70], [13, 70]], fn: (a, b) => sg.matmul(a, b, { transB: true, version }), atol: 1e-4 }, version);
  push({ name: `${version} transA transB 66×3×8`, inputs: [[3, 66], [8, 3]], fn: (a, b) => sg.matmul(a, b, { transA: true, transB: true, version }), atol: 1e-4 }, version);
  push({ name: `${version} batched [3,5,7]×[3,7,4]`, inputs: [[3, 5, 7], [3, 7, 4]], fn: (a, b) => sg.matmul(a, b, { version }), atol: 1e-4 }, version);
  push({ name: `${version} broadcast batch [2,3,4,5]×[5,6]`, inputs: [[2, 3, 4, 5], [5, 6]], fn: (a, b) => sg.matmul(a, b, { version }), atol: 1e-4 }, version);
}
// Shapes where every operand's contiguous dimension is a multiple of 4, so the tile…v4 and tile8x8db
// versions run their vec4 loads (the others run them too): 132 columns and rows cross a 128 block,
// K = 20 leaves a partial slice (and 3 slices of 8 for the double buffer), K = 4 is below one slice.
for (const version of tileVersions) {
  const o = (transA = false, transB = false) => ({ transA, transB, version });
  push({ name: `${version} vec4 36×20×132`, inputs: [[36, 20], [20, 132]], fn: (a, b) => sg.matmul(a, b, o()), atol: 1e-4 }, version);
  push({ name: `${version} vec4 132×12×8`, inputs: [[132, 12], [12, 8]], fn: (a, b) => sg.matmul(a, b, o()), atol: 1e-4 }, version);
  push({ name: `${version} vec4 transA 36×20×24`, inputs: [[20, 36], [20, 24]], fn: (a, b) => sg.matmul(a, b, o(true)), atol: 1e-4 }, version);
  push({ name: `${version} vec4 transB 12×132×40`, inputs: [[12, 132], [40, 132]], fn: (a, b) => sg.matmul(a, b, o(false, true)), atol: 1e-4 }, version);
  push({ name: `${version} vec4 transA transB 8×4×12`, inputs: [[4, 8], [12, 4]], fn: (a, b) => sg.matmul(a, b, o(true, true)), atol: 1e-4 }, version);
  push({ name: `${version} vec4 batched [3,12,8]×[3,8,16]`, inputs: [[3, 12, 8], [3, 8, 16]], fn: (a, b) => sg.matmul(a, b, o()), atol: 1e-4 }, version);
  push({ name: `${version} vec4 broadcast batch [2,3,4,8]×[8,12]`, inputs: [[2, 3, 4, 8], [8, 12]], fn: (a, b) => sg.matmul(a, b, o()), atol: 1e-4 }, version);
}

cases.push({ name: 'auto partial batch broadcast [2,1,3,4]×[1,3,4,2]', inputs: [[2, 1, 3, 4], [1, 3, 4, 2]], fn: (a, b) => sg.matmul(a, b), atol: 1e-4 });
cases.push({ name: 'auto vector·matrix [5]×[5,3]', inputs: [[5], [5, 3]], fn: (a, b) => sg.matmul(a, b) });
cases.push({ name: 'auto matrix·vector [4,5]×[5]', inputs: [[4, 5], [5]], fn: (a, b) => sg.matmul(a, b) });
cases.push({ name: 'MLP layer relu(x·Wᵀ + b)', inputs: [[8, 13], [6, 13], [6]], fn: (x, w, b) => sg.relu(sg.add(sg.matmul(x, w, { transB: true }), b)), atol: 1e-4 });

// ---- split-K: long K, small C ----
const splitk = { version: 'splitk' as const };
cases.push({ name: 'splitk K=1000 7×1000×5', inputs: [[7, 1000], [1000, 5]], fn: (a, b) => sg.matmul(a, b, splitk), atol: 1e-4 });
cases.push({ name: 'splitk K=1001 3×1001×1 (odd K, one column)', inputs: [[3, 1001], [1001, 1]], fn: (a, b) => sg.matmul(a, b, splitk), atol: 1e-4 });
cases.push({ name: 'splitk K=1000 1×1000×1', inputs: [[1, 1000], [1000, 1]], fn: (a, b) => sg.matmul(a, b, splitk), atol: 1e-4 });
cases.push({
  name: 'splitk weight gradient shape: xᵀ·dy, K=512, 10×128', inputs: [[512, 10], [512, 128]],
  fn: (x, dy) => sg.matmul(x, dy, { transA: true, version: 'splitk' }), atol: 1e-4,
});
cases.push({ name: 'splitk transB K=997 5×997×9', inputs: [[5, 997], [9, 997]], fn: (a, b) => sg.matmul(a, b, { transB: true, version: 'splitk' }), atol: 1e-4 });
cases.push({ name: 'splitk M above one tile 70×300×3', inputs: [[70, 300], [300, 3]], fn: (a, b) => sg.matmul(a, b, splitk), atol: 1e-4 });
cases.push({ name: 'splitk batched [2,5,300]×[2,300,3]', inputs: [[2, 5, 300], [2, 300, 3]], fn: (a, b) => sg.matmul(a, b, splitk), atol: 1e-4 });
cases.push({ name: 'auto picks splitk for 9×640×11', inputs: [[9, 640], [640, 11]], fn: (a, b) => sg.matmul(a, b), atol: 1e-4 });

// ---- linear: act(x·Wᵀ + b) in one dispatch ----
const acts: sg.LinearActivation[] = ['none', 'relu', 'sigmoid', 'tanh'];
const composite = (x: Tensor, w: Tensor, b: Tensor | null, act: sg.LinearActivation) => {
  const z = b ? sg.add(sg.matmul(x, w, { transB: true }), b) : sg.matmul(x, w, { transB: true });
  return act === 'relu' ? sg.relu(z) : act === 'sigmoid' ? sg.sigmoid(z) : act === 'tanh' ? sg.tanh(z) : z;
};
// Every kernel with the epilogue, whatever 'auto' picks on the adapter at hand (the in-features, 13
// and 17, are not multiples of 4: the tile…v4 forms run their scalar loads here; 'vec4 epilogue'
// below runs their vec4 loads).
const linearVersions: sg.LinearVersion[] = ['tiled', 'reg', 'tile4x4', 'tile8x8', 'tile8x8v4', 'tile8x8db', 'subgroup'];
for (const version of linearVersions) {
  for (const activation of acts) {
    push({ name: `linear ${version} ${activation} [8,13]·[6,13]ᵀ + b`, inputs: [[8, 13], [6, 13], [6]], fn: (x, w, b) => sg.linear(x, w, b, { activation, version }), atol: 1e-4 }, version);
    push({
      name: `linear ${version} ${activation}: fused equals the composite act(matmul + bias)`, inputs: [[9, 17], [11, 17], [11]],
      fn: (x, w, b) => sg.sub(sg.linear(x, w, b, { activation, version }), composite(x, w, b, activation)), atol: 1e-5,
      finiteDifferences: { skip: 'fused − composite is identically 0; its gradient is checked against 0 already' },
    }, version);
  }
  push({ name: `linear ${version} 129 rows, 65 outputs (two tiles each way)`, inputs: [[129, 9], [65, 9], [65]], fn: (x, w, b) => sg.linear(x, w, b, { activation: 'sigmoid', version }), atol: 1e-4 }, version);
}
for (const version of ['tile4x4v4', 'tile8x8v4', 'tile8x8db'] as const) {
  push({
    name: `linear ${version} vec4 epilogue relu [132,20]·[36,20]ᵀ + b`, inputs: [[132, 20], [36, 20], [36]],
    fn: (x, w, b) => sg.linear(x, w, b, { activation: 'relu', version }), atol: 1e-4,
  }, version);
}
// Without bias, one activation only: every set of override constants is one more pipeline to
// compile (seconds each on SwiftShader), and the bias read is the only code HAS_BIAS switches.
cases.push({ name: 'linear no bias [5,70]·[67,70]ᵀ', inputs: [[5, 70], [67, 70]], fn: (x, w) => sg.linear(x, w), atol: 1e-4 });
cases.push({ name: 'linear relu rank 3 [2,3,7]·[5,7]ᵀ + b', inputs: [[2, 3, 7], [5, 7], [5]], fn: (x, w, b) => sg.linear(x, w, b, { activation: 'relu' }), atol: 1e-4 });
cases.push({ name: 'linear 1-D x [7]·[3,7]ᵀ + b', inputs: [[7], [3, 7], [3]], fn: (x, w, b) => sg.linear(x, w, b), atol: 1e-4 });
cases.push({ name: 'linear size 1 [1,1]·[1,1]ᵀ + b', inputs: [[1, 1], [1, 1], [1]], fn: (x, w, b) => sg.linear(x, w, b, { activation: 'tanh' }) });
cases.push({
  name: 'linear batch 300: dW = dzᵀ·x runs split-K under auto', inputs: [[300, 6], [5, 6], [5]],
  fn: (x, w, b) => sg.linear(x, w, b, { activation: 'tanh' }), atol: 1e-4,
});

export { cases };
