// matmul.wgsl — C[b] = op(A[b]) · op(B[b]), op = optional transpose. A ladder of versions:
//
// matmul_naive          v1. One thread per output element, 8×8 threads per workgroup; each thread
//                       walks the whole K dimension reading A and B from global memory. Easy to read, slow.
// matmul_tiled          v2. Adds workgroup-memory tiling and register blocking: a 16×16 workgroup
//                       computes a 64×64 block of C, each thread a 4×4 sub-block held in four vec4
//                       accumulators. K is walked in slices of 16: the workgroup first copies a 64×16
//                       slice of A and a 16×64 slice of B into workgroup memory (each value read from
//                       global memory once per workgroup instead of 64 times), then every thread does
//                       16 rank-1 updates of its 4×4 block from there.
//                       Fused epilogue: with the override constants HAS_BIAS and ACT the store loop
//                       writes act(acc + bias[n]) instead of acc — the whole of linear(x, W, b) with a
//                       relu/sigmoid/tanh in one dispatch, no round trip of x·Wᵀ through memory.
// matmul_tiled_vec4     v3. Same tiling; where B is not transposed and N is a multiple of 4, B and C are
//                       read and written as vec4 (one 16-byte load per thread per slice).
// matmul_splitk         v4, for long K and a small C (weight gradients dW = xᵀ·dy, K = batch). A 64×64
//                       block of C alone gives only a few workgroups; split-K cuts K into S slices of
//                       k_chunk (grid z = batch · S), each workgroup runs the v2 loop over its slice
//                       only and writes its partial block to a scratch buffer (batch, S, M, N).
// matmul_splitk_reduce  The second pass of v4: one thread per element of C sums its S partials, in
//                       slice order, so the result is deterministic. No atomics.
// matmul_reg            v5. Register blocking without workgroup memory: each thread computes an 8×8
//                       block of C held in four mat4x4f accumulators, reading its 8 values of op(A)
//                       and 8 of op(B) per k straight from storage (the cache does the reuse). No
//                       barriers at all, which is what a software adapter (SwiftShader runs a
//                       workgroup's invocations as coroutines, a barrier is a switch of all of them)
//                       rewards: there v5 is the fastest version. Transposes are override constants,
//                       so the index arithmetic is specialised; same fused epilogue as v2.
//
// Transposes and broadcast batches are handled by strides: element (m, k) of op(A) in batch b is
// A[b * a_batch + m * sa_m + k * sa_k], so no transposed copy is ever made. C is contiguous (B, M, N).

// #include "common/float.wgsl"
// #include "common/grid.wgsl"
// #include "common/outer.wgsl"

override HAS_BIAS: bool = false;   // matmul_tiled, matmul_reg: add bias[n] to every element of column n
override ACT: u32 = 0u;            // matmul_tiled, matmul_reg: then apply one of the ACT_* activations
override TRANS_A: bool = false;    // matmul_reg: op(A) = Aᵀ (A stored [K, M])
override TRANS_B: bool = false;    // matmul_reg: op(B) = Bᵀ (B stored [N, K])
const ACT_NONE = 0u;
const ACT_RELU = 1u;
const ACT_SIGMOID = 2u;
const ACT_TANH = 3u;

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;          // (batch, M, N)
struct Params {
  M: u32, N: u32, K: u32,
  a_batch: u32, b_batch: u32,     // batch strides (0 = broadcast)
  sa_m: u32, sa_k: u32,           // strides of op(A) along m and k
  sb_k: u32, sb_n: u32,           // strides of op(B) along k and n
  splits: u32, k_chunk: u32,      // split-K only: S slices of k_chunk values of K (others: 1 and K)
}
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> bias: array<f32>;             // (N), matmul_tiled when HAS_BIAS

// The vec4 version binds B and C as arrays of vec4 (same buffers, other view).
@group(0) @binding(1) var<storage, read> B4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> C4: array<vec4f>;

// Split-K: the partial products, then their sum.
@group(0) @binding(2) var<storage, read_write> Cpart: array<f32>;      // (batch, S, M, N), matmul_splitk
@group(0) @binding(0) var<storage, read> parts: array<f32>;            // (batch, S, M, N), matmul_splitk_reduce
@group(0) @binding(1) var<storage, read_write> Csum: array<f32>;       // (batch, M, N)
struct ReduceParams { MN: u32, splits: u32 }
@group(0) @binding(2) var<uniform> rparams: ReduceParams;

// ---- v1: naive ----------------------------------------------------------------------------------
@compute @workgroup_size(8, 8)
fn matmul_naive(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  let m = gid.y;
  let b = gid.z;
  if (m >= params.M || n >= params.N) { return; }
  let a0 = b * params.a_batch + m * params.sa_m;
  let b0 = b * params.b_batch + n * params.sb_n;
  var acc = 0.0;
  for (var k = 0u; k < params.K; k++) {
    acc += A[a0 + k * params.sa_k] * B[b0 + k * params.sb_k];
  }
  C[(b * params.M + m) * params.N + n] = acc;
}

// ---- v2: tiled + register-blocked -----------------------------------------------------------------
const BM = 64u;   // rows of C per workgroup
const BN = 64u;   // columns of C per workgroup
const BK = 16u;   // slice of K held in workgroup memory
// As[k][r] holds A rows 4r..4r+3 at slice position k (a vec4 of four rows): exactly the four rows
// one thread needs. Bs[k][c] holds B columns 4c..4c+3.
var<workgroup> As: array<array<vec4f, 16>, 16>;   // [BK][BM/4]
var<workgroup> Bs: array<array<vec4f, 16>, 16>;   // [BK][BN/4]

// Copy the 64×16 slice of op(A) at (row0, k0) into As; zeros past M and past k_end.
fn load_a_slice(li: u32, row0: u32, k0: u32, k_end: u32, a0: u32) {
  // 64×16 values, 256 threads, 4 values each; k varies fastest so rows of A are read in order.
  for (var e = 0u; e < 4u; e++) {
    let idx = li + e * 256u;
    let k = idx % BK;
    let r = idx / BK;
    let gm = row0 + r;
    let gk = k0 + k;
    var v = 0.0;
    if (gm < params.M && gk < k_end) { v = A[a0 + gm * params.sa_m + gk * params.sa_k]; }
    As[k][r / 4u][r % 4u] = v;
  }
}

// Copy the 16×64 slice of op(B) at (k0, col0) into Bs; zeros past N and past k_end.
fn load_b_slice(li: u32, col0: u32, k0: u32, k_end: u32, b0: u32) {
  for (var e = 0u; e < 4u; e++) {
    let idx = li + e * 256u;
    let k = idx / BN;
    let c = idx % BN;
    let gk = k0 + k;
    let gn = col0 + c;
    var v = 0.0;
    if (gk < k_end && gn < params.N) { v = B[b0 + gk * params.sb_k + gn * params.sb_n]; }
    Bs[k][c / 4u][c % 4u] = v;
  }
}

fn multiply_slice(tx: u32, ty: u32, acc: ptr<function, array<vec4f, 4>>) {
  for (var k = 0u; k < BK; k++) {
    let a = As[k][ty];     // rows 4ty..4ty+3
    let b = Bs[k][tx];     // columns 4tx..4tx+3
    (*acc)[0] += a.x * b;
    (*acc)[1] += a.y * b;
    (*acc)[2] += a.z * b;
    (*acc)[3] += a.w * b;
  }
}

// The 4×4 block of this thread, summed over k in [k_begin, k_end). Every thread of the workgroup
// calls it with the same bounds (they come from params and the workgroup id), so the barriers
// inside stay in uniform control flow.
fn block_product(row0: u32, col0: u32, a0: u32, b0: u32, k_begin: u32, k_end: u32,
                 li: u32, tx: u32, ty: u32) -> array<vec4f, 4> {
  var acc: array<vec4f, 4>;
  for (var k0 = k_begin; k0 < k_end; k0 += BK) {
    load_a_slice(li, row0, k0, k_end, a0);
    load_b_slice(li, col0, k0, k_end, b0);
    workgroupBarrier();
    multiply_slice(tx, ty, &acc);
    workgroupBarrier();
  }
  return acc;
}

// act(v + bias[n]) as the override constants ask; the same formulas as elementwise.wgsl's unary ops.
fn epilogue(v: f32, n: u32) -> f32 {
  var z = v;
  if (HAS_BIAS) { z += bias[n]; }
  switch ACT {
    case ACT_RELU: { return select(max(z, 0.0), z, is_nan(z)); }   // NaN stays NaN as in PyTorch
    case ACT_SIGMOID: { return sigmoid_stable(z); }
    case ACT_TANH: { return tanh_stable(z); }
    case ACT_NONE, default: { return z; }
  }
}

@compute @workgroup_size(16, 16)
fn matmul_tiled(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                @builtin(local_invocation_index) li: u32) {
  let tx = lid.x;
  let ty = lid.y;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let acc = block_product(row0, col0, wid.z * params.a_batch, wid.z * params.b_batch, 0u, params.K, li, tx, ty);
  let c0 = wid.z * params.M * params.N;
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + ty * 4u + i;
    if (m >= params.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + tx * 4u + j;
      if (n < params.N) { C[c0 + m * params.N + n] = epilogue(acc[i][j], n); }
    }
  }
}

// ---- v3: tiled + vec4 loads/stores of B and C ---------------------------------------------------
@compute @workgroup_size(16, 16)
fn matmul_tiled_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                     @builtin(local_invocation_index) li: u32) {
  let tx = lid.x;
  let ty = lid.y;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let a0 = wid.z * params.a_batch;
  let b0 = wid.z * params.b_batch;   // a multiple of 4: N % 4 == 0
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < params.K; k0 += BK) {
    load_a_slice(li, row0, k0, params.K, a0);
    // 16×64 values of B = 256 vec4: one per thread.
    let k = li / 16u;
    let c4 = li % 16u;
    let gk = k0 + k;
    let gn = col0 + c4 * 4u;
    var v = vec4f(0.0);
    if (gk < params.K && gn < params.N) { v = B4[(b0 + gk * params.N + gn) / 4u]; }
    Bs[k][c4] = v;
    workgroupBarrier();
    multiply_slice(tx, ty, &acc);
    workgroupBarrier();
  }
  let c0 = wid.z * params.M * params.N;
  let n = col0 + tx * 4u;
  if (n >= params.N) { return; }
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + ty * 4u + i;
    if (m < params.M) { C4[(c0 + m * params.N + n) / 4u] = acc[i]; }
  }
}

// ---- v4: split-K ----------------------------------------------------------------------------------
// Grid (ceil(N/64), ceil(M/64), batch · S): workgroup z handles batch z / S and K slice s = z % S,
// i.e. k in [s · k_chunk, min((s + 1) · k_chunk, K)). k_chunk is a multiple of 16.
@compute @workgroup_size(16, 16)
fn matmul_splitk(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                 @builtin(local_invocation_index) li: u32) {
  let tx = lid.x;
  let ty = lid.y;
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let b = wid.z / params.splits;
  let s = wid.z % params.splits;
  let k_begin = s * params.k_chunk;
  let k_end = min(k_begin + params.k_chunk, params.K);
  let acc = block_product(row0, col0, b * params.a_batch, b * params.b_batch, k_begin, k_end, li, tx, ty);
  let p0 = wid.z * params.M * params.N;   // = (b · S + s) · M · N
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + ty * 4u + i;
    if (m >= params.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + tx * 4u + j;
      if (n < params.N) { Cpart[p0 + m * params.N + n] = acc[i][j]; }
    }
  }
}

// One thread per element of C (256 per workgroup, 2-D grid when large; grid z = batch).
@compute @workgroup_size(256)
fn matmul_splitk_reduce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                        @builtin(workgroup_id) wid: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= rparams.MN) { return; }
  let b = wid.z;
  var acc = 0.0;
  for (var s = 0u; s < rparams.splits; s++) {
    acc += parts[(b * rparams.splits + s) * rparams.MN + i];
  }
  Csum[b * rparams.MN + i] = acc;
}

// ---- v5: register-blocked, no workgroup memory ---------------------------------------------------
// Workgroup 8×8 threads over a 64×64 block of C (the same grid as v2); thread (tx, ty) owns rows
// 8·ty.. and columns 8·tx.. of it. Per k: four vec4 loads' worth of values (two of op(A)'s column k,
// two of op(B)'s row k) and 64 multiply-adds, as four outer products of 4-vectors.

// Element (m, k) of op(A) and (k, n) of op(B) in the current batch; a0 / b0 are batch offsets.
fn a_at(a0: u32, m: u32, k: u32) -> f32 {
  if (TRANS_A) { return A[a0 + k * params.M + m]; }
  return A[a0 + m * params.K + k];
}
fn b_at(b0: u32, k: u32, n: u32) -> f32 {
  if (TRANS_B) { return B[b0 + n * params.K + k]; }
  return B[b0 + k * params.N + n];
}
fn a_col4(a0: u32, m: vec4u, k: u32) -> vec4f {
  return vec4f(a_at(a0, m.x, k), a_at(a0, m.y, k), a_at(a0, m.z, k), a_at(a0, m.w, k));
}
fn b_row4(b0: u32, k: u32, n: vec4u) -> vec4f {
  return vec4f(b_at(b0, k, n.x), b_at(b0, k, n.y), b_at(b0, k, n.z), b_at(b0, k, n.w));
}
// Row m of C, columns col..col+7 (lo = first four), through the epilogue; skips past M and N.
fn store_row8(c0: u32, m: u32, col: u32, lo: vec4f, hi: vec4f) {
  if (m >= params.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (col + j < params.N) { C[c0 + m * params.N + col + j] = epilogue(lo[j], col + j); }
    if (col + 4u + j < params.N) { C[c0 + m * params.N + col + 4u + j] = epilogue(hi[j], col + 4u + j); }
  }
}

@compute @workgroup_size(8, 8)
fn matmul_reg(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wid.y * 64u + lid.y * 8u;
  let col = wid.x * 64u + lid.x * 8u;
  if (row >= params.M || col >= params.N) { return; }
  let a0 = wid.z * params.a_batch;
  let b0 = wid.z * params.b_batch;
  // Rows and columns past the edge read the last valid one (clamped, never out of bounds); their
  // results are not stored.
  let last_m = vec4u(params.M - 1u);
  let last_n = vec4u(params.N - 1u);
  let m_lo = min(vec4u(row) + vec4u(0u, 1u, 2u, 3u), last_m);
  let m_hi = min(vec4u(row) + vec4u(4u, 5u, 6u, 7u), last_m);
  let n_lo = min(vec4u(col) + vec4u(0u, 1u, 2u, 3u), last_n);
  let n_hi = min(vec4u(col) + vec4u(4u, 5u, 6u, 7u), last_n);
  // c_rc: rows lo/hi (r) × columns lo/hi (c) of the 8×8 block. outer(b, a) has column i = a[i]·b,
  // so column i of c_rc is row i of that part of C.
  var c_ll = mat4x4f(); var c_lh = mat4x4f(); var c_hl = mat4x4f(); var c_hh = mat4x4f();
  for (var k = 0u; k < params.K; k++) {
    let a_lo = a_col4(a0, m_lo, k);
    let a_hi = a_col4(a0, m_hi, k);
    let b_lo = b_row4(b0, k, n_lo);
    let b_hi = b_row4(b0, k, n_hi);
    c_ll += outer(b_lo, a_lo);
    c_lh += outer(b_hi, a_lo);
    c_hl += outer(b_lo, a_hi);
    c_hh += outer(b_hi, a_hi);
  }
  let c0 = wid.z * params.M * params.N;
  for (var i = 0u; i < 4u; i++) {
    store_row8(c0, row + i, col, c_ll[i], c_lh[i]);
    store_row8(c0, row + 4u + i, col, c_hl[i], c_hh[i]);
  }
}
