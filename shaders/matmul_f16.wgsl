// matmul_f16.wgsl — v10 of the matmul ladder (v1–v8: matmul.wgsl, v9: matmul_subgroup.wgsl), version
// 'f16native': C[b] = op(A[b]) · op(B[b]) with A and B in f16 storage (compile's precision: 'mixed'),
// read as native f16. A file of its own because it `enable`s f16: compiled only on a device with the
// `shader-f16` feature (src/ops/matmul-f16.ts offers the version nowhere else).
//
// matmul_f16_tile   The workgroup tiles of v6 (matmul_tile, common/tile.wgsl): a 16×16 workgroup
//                   computes a (16·TM)×(16·TN) block of C, each thread a TM×TN register block
//                   (TM, TN ∈ {4, 8}, override constants), K walked in slices of TK = 16. What it adds:
//                   - A and B are bound as array<f16>: the f16 storage of the other kernels (element i
//                     in half i & 1 of word i >> 1, the even element in the low bits) is byte for byte
//                     an array<f16>, so a value is one 2-byte load and one hardware conversion, with no
//                     word to split and no unpack2x16float;
//                   - the workgroup slices hold f16 (vec4<f16>: four rows of A, or four columns of B,
//                     at one k): half the workgroup memory of v6 and half the bytes every thread reads
//                     from it per k;
//                   - each thread stores whole vec4s into the slices (four rows or columns gathered at
//                     one k), never a single 16-bit component, which some hardware would write as a
//                     read-modify-write of a wider word shared with its neighbours.
//                   Arithmetic: f16 values are widened to f32 when read from the slice and multiplied
//                   and summed in f32 (vec4f multiply-adds, as v6). Chosen over f16 vector math because the product
//                   of two f16 values is exact in f32 (11 + 11 significant bits < 24, subnormals
//                   included), so every product is exact and only the f32 summation rounds: the result
//                   is what an f32 matmul gives on the f16-rounded inputs. f16 products would round
//                   each product to 11 bits and overflow past 65504 (a loss-scaled gradient reaches
//                   that easily), f16 sums would lose the small terms of a long K.
//                   C is written as f32 (C_HALF false: the word is the f32's bits) or as f16 (C_HALF:
//                   one half_pack per pair of columns, ±∞ / NaN / saturation as common/half.wgsl). A
//                   thread's column quad starts at a multiple of 4, so it is two whole words when every
//                   row starts on an even element: N even, or a single row (batch · M = 1, where a
//                   column past an odd N stores 0 in the padding half). Other shapes cannot write f16
//                   (a word would straddle two rows held by two threads): src/ops/matmul-f16.ts
//                   refuses them. Same transposes (TRANS_A, TRANS_B), batch strides
//                   and fused epilogue (HAS_BIAS, ACT) as v2–v9; the bias is f32 or, with BIAS_HALF, f16.
// Grid (ceil(N / 16·TN), ceil(M / 16·TM), batch). Element (m, k) of op(A) in batch b is
// A[b · a_batch + m · sa_m + k · sa_k] as in matmul.wgsl; C is contiguous (batch, M, N).
//
// `h16` names the storage and slice type. It is f16 here; kernels-test/node/shader-f16.test.ts
// swaps the two lines below (no `enable`, `alias h16 = f32;`) to run this same code on f32 operands on
// an adapter without shader-f16, so the tiling, the transposes, the epilogue and the f16 pair stores
// of C are exercised where the f16 module itself cannot compile.

enable f16;

// #include "common/float.wgsl"
// #include "common/half.wgsl"

alias h16 = f16;

override HAS_BIAS: bool = false;   // add bias[n] to every element of column n
override ACT: u32 = 0u;            // then apply one of the ACT_* activations
override TRANS_A: bool = false;    // op(A) = Aᵀ (A stored [K, M])
override TRANS_B: bool = false;    // op(B) = Bᵀ (B stored [N, K])
override C_HALF: bool = false;     // C stored as f16 (N even, or batch · M = 1); f32 otherwise
override BIAS_HALF: bool = false;  // bias stored as f16; f32 otherwise
override TM: u32 = 4u;             // rows of C per thread: 4 or 8
override TN: u32 = 4u;             // columns of C per thread: 4 or 8
const TK = 16u;                    // values of K per slice
// The activation codes: the same values as matmul.wgsl's (src/ops/matmul-f16.ts checks they match).
const ACT_NONE = 0u;
const ACT_RELU = 1u;
const ACT_SIGMOID = 2u;
const ACT_TANH = 3u;

@group(0) @binding(0) var<storage, read> A: array<h16>;           // op(A) per batch, f16 storage
@group(0) @binding(1) var<storage, read> B: array<h16>;           // op(B) per batch, f16 storage
@group(0) @binding(2) var<storage, read_write> C: array<u32>;     // (batch, M, N): f32 bits, or f16 pairs (C_HALF)
struct Params {
  M: u32, N: u32, K: u32,
  a_batch: u32, b_batch: u32,     // batch strides (0 = broadcast)
  sa_m: u32, sa_k: u32,           // strides of op(A) along m and k
  sb_k: u32, sb_n: u32,           // strides of op(B) along k and n
  splits: u32, k_chunk: u32,      // split-K only (matmul.wgsl's Params, filled the same way; unused here)
}
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> bias: array<u32>;        // (N): f32 bits, or f16 pairs (BIAS_HALF); read when HAS_BIAS

// The slices: Ts_a[k · 4·TM + q] holds rows 4q .. 4q + 3 of the A slice at k, Ts_b[k · 4·TN + q]
// columns 4q .. 4q + 3 of the B slice (the layout of common/tile.wgsl, in f16).
var<workgroup> Ts_a: array<vec4<h16>, TM * 4u * TK>;
var<workgroup> Ts_b: array<vec4<h16>, TN * 4u * TK>;

// Element (m, k) of op(A) and (k, n) of op(B) in the current batch; a0 / b0 are batch offsets.
fn ah_at(a0: u32, m: u32, k: u32) -> h16 {
  if (TRANS_A) { return A[a0 + k * params.M + m]; }
  return A[a0 + m * params.K + k];
}
fn bh_at(b0: u32, k: u32, n: u32) -> h16 {
  if (TRANS_B) { return B[b0 + n * params.K + k]; }
  return B[b0 + k * params.N + n];
}

// Copy the (16·TM)×TK slice of op(A) at (row0, k0) into Ts_a: 4·TM·TK vec4s, TM / 4 per thread. A
// thread gathers the four rows of one vec4 at one k; consecutive threads take consecutive k (A
// contiguous in k) or consecutive row quads (Aᵀ: contiguous in m). Zeros past M and K.
fn f16_load_a(li: u32, a0: u32, row0: u32, k0: u32) {
  let quads = 4u * TM;
  for (var e = 0u; e < TM / 4u; e++) {
    let idx = li + e * 256u;
    var q = idx / TK;
    var k = idx % TK;
    if (TRANS_A) { q = idx % quads; k = idx / quads; }
    var v = vec4<h16>();
    if (k0 + k < params.K) {
      for (var j = 0u; j < 4u; j++) {
        let m = row0 + 4u * q + j;
        if (m < params.M) { v[j] = ah_at(a0, m, k0 + k); }
      }
    }
    Ts_a[k * quads + q] = v;
  }
}

// Copy the TK×(16·TN) slice of op(B) at (k0, col0) into Ts_b likewise: consecutive threads take
// consecutive column quads (B contiguous in n) or consecutive k (Bᵀ). Zeros past N and K.
fn f16_load_b(li: u32, b0: u32, col0: u32, k0: u32) {
  let quads = 4u * TN;
  for (var e = 0u; e < TN / 4u; e++) {
    let idx = li + e * 256u;
    var q = idx % quads;
    var k = idx / quads;
    if (TRANS_B) { q = idx / TK; k = idx % TK; }
    var v = vec4<h16>();
    if (k0 + k < params.K) {
      for (var j = 0u; j < 4u; j++) {
        let n = col0 + 4u * q + j;
        if (n < params.N) { v[j] = bh_at(b0, k0 + k, n); }
      }
    }
    Ts_b[k * quads + q] = v;
  }
}

// A thread's TM × TN block: acc[i][j4] is row i, columns 4·j4 .. 4·j4 + 3 (room for 8 × 8).
alias F16Acc = array<array<vec4f, 2>, 8>;

// acc += the slice's TK rank-1 updates, f16 widened to f32 as it leaves the slice (products exact).
fn f16_multiply(tx: u32, ty: u32, acc: ptr<function, F16Acc>) {
  for (var k = 0u; k < TK; k++) {
    var av: array<vec4f, 2>;
    var bv: array<vec4f, 2>;
    for (var i4 = 0u; i4 < TM / 4u; i4++) { av[i4] = vec4f(Ts_a[k * 4u * TM + i4 * 16u + ty]); }
    for (var j4 = 0u; j4 < TN / 4u; j4++) { bv[j4] = vec4f(Ts_b[k * 4u * TN + j4 * 16u + tx]); }
    for (var i = 0u; i < TM; i++) {
      let a = av[i / 4u][i % 4u];
      for (var j4 = 0u; j4 < TN / 4u; j4++) { (*acc)[i][j4] += a * bv[j4]; }
    }
  }
}

// act(v + bias[n]) as the override constants ask; the formulas of common/matmul.wgsl's epilogue.
fn f16_epilogue(v: f32, n: u32) -> f32 {
  var z = v;
  if (HAS_BIAS) {
    if (BIAS_HALF) { z += half_at(bias[n >> 1u], n); } else { z += bitcast<f32>(bias[n]); }
  }
  switch ACT {
    case ACT_RELU: { return select(max(z, 0.0), z, is_nan(z)); }   // NaN stays NaN as in PyTorch
    case ACT_SIGMOID: { return sigmoid_stable(z); }
    case ACT_TANH: { return tanh_stable(z); }
    case ACT_NONE, default: { return z; }
  }
}

// C's block through the epilogue, skipping rows past M and columns past N. Row i of the thread is
// row ((i / 4)·16 + ty)·4 + i % 4 of the block, its column quad j4 starts at column (j4·16 + tx)·4
// (common/tile.wgsl's tile_row / tile_col). With C_HALF a quad is two words (N even or one row: the
// quad's first element has an even index), both written by this thread.
fn f16_store(c0: u32, row0: u32, col0: u32, tx: u32, ty: u32, acc: ptr<function, F16Acc>) {
  for (var i = 0u; i < TM; i++) {
    let m = row0 + ((i / 4u) * 16u + ty) * 4u + i % 4u;
    if (m >= params.M) { continue; }
    for (var j4 = 0u; j4 < TN / 4u; j4++) {
      let n = col0 + (j4 * 16u + tx) * 4u;
      if (n >= params.N) { continue; }
      let e = c0 + m * params.N + n;
      let v = (*acc)[i][j4];
      if (C_HALF) {
        // A column past N (odd N, single row) stores 0 in the high half of the last word.
        var w = vec4f();
        for (var j = 0u; j < 4u; j++) {
          if (n + j < params.N) { w[j] = f16_epilogue(v[j], n + j); }
        }
        C[e >> 1u] = half_pack(w.x, w.y);
        if (n + 2u < params.N) { C[(e >> 1u) + 1u] = half_pack(w.z, w.w); }
      } else {
        for (var j = 0u; j < 4u; j++) {
          if (n + j < params.N) { C[e + j] = bitcast<u32>(f16_epilogue(v[j], n + j)); }
        }
      }
    }
  }
}

@compute @workgroup_size(16, 16)
fn matmul_f16_tile(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                   @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * 16u * TM;
  let col0 = wid.x * 16u * TN;
  let a0 = wid.z * params.a_batch;
  let b0 = wid.z * params.b_batch;
  var acc: F16Acc;
  for (var k0 = 0u; k0 < params.K; k0 += TK) {
    f16_load_a(li, a0, row0, k0);
    f16_load_b(li, b0, col0, k0);
    workgroupBarrier();
    f16_multiply(lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  f16_store(wid.z * params.M * params.N, row0, col0, lid.x, lid.y, &acc);
}
