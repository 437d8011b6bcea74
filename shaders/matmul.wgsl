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
// matmul_tile           v6. Workgroup tiles with larger register tiles (common/tile.wgsl): a 16×16
//                       workgroup computes a (16·TM)×(16·TN) block, each thread TM×TN of it, with
//                       TM, TN ∈ {4, 8} override constants (versions tile4x4, tile8x4, tile8x8: 64×64,
//                       128×64, 128×128 blocks). An 8×8 thread block reads 16 values from workgroup
//                       memory per 64 multiply-adds, v2's 4×4 reads 8 per 16. Scalar loads, any
//                       shape; transposes are override constants; the fused epilogue of v2.
// matmul_tile_vec4      v7. v6 with 16-byte loads: op(A) and op(B) are read as vec4 along the
//                       dimension each is contiguous in (A4 / B4, the same buffers viewed as vec4),
//                       a quarter of the load instructions. Needs that dimension to be a multiple of 4
//                       (K for A, M for Aᵀ, N for B, K for Bᵀ); versions tile4x4v4 / tile8x4v4 /
//                       tile8x8v4, which fall back to v6 where it is not.
// matmul_tile_db        v8. v7 with double-buffered workgroup tiles: two slices of 8 values of K are
//                       resident; while the workgroup multiplies one, each thread's loads of the next
//                       are in flight (fetched into registers before the multiply, stored after it),
//                       and one barrier per slice replaces two. Version tile8x8db (same vec4 rule).
// (matmul_subgroup.wgsl, v9: register blocks sharing op(A) across a subgroup with subgroupShuffle.)
//
// Transposes and broadcast batches are handled by strides: element (m, k) of op(A) in batch b is
// A[b * a_batch + m * sa_m + k * sa_k], so no transposed copy is ever made. C is contiguous (B, M, N).
//
// Half-precision storage (override constants A_HALF, B_HALF, BIAS_HALF, C_HALF; common/matmul.wgsl):
// every kernel reads A and B (and the bias) through a_load / b_load / bias_load, so any of them may
// be f16 — except through the vec4 views A4 / B4 / C4, which are f32 only: matmul_tiled_vec4 (B4, C4)
// and the vec4 loads of matmul_tile_vec4 / matmul_tile_db (A4, B4) are not run on half operands (the
// op runs their scalar forms instead). A half C is stored as whole words, two columns per invocation:
// the register-tile stores write even column pairs, matmul_naive's even-column threads compute both
// columns of their word, matmul_splitk_reduce one word per thread; split-K's partials stay f32.

// #include "common/matmul.wgsl"
// #include "common/grid.wgsl"
// #include "common/outer.wgsl"
// #include "common/tile.wgsl"

// The operands' bindings A, B, C, params and bias, the override constants HAS_BIAS, ACT, TRANS_A,
// TRANS_B, a_at / b_at and the epilogue are in common/matmul.wgsl (shared with matmul_subgroup.wgsl).

// The vec4 versions bind A, B and C as arrays of vec4 (same buffers, other view).
@group(0) @binding(0) var<storage, read> A4: array<vec4f>;
@group(0) @binding(1) var<storage, read> B4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> C4: array<vec4f>;

// Split-K: the partial products, then their sum.
@group(0) @binding(2) var<storage, read_write> Cpart: array<f32>;      // (batch, S, M, N), matmul_splitk
@group(0) @binding(0) var<storage, read> parts: array<f32>;            // (batch, S, M, N), matmul_splitk_reduce
@group(0) @binding(1) var<storage, read_write> Csum: array<u32>;       // (batch, M, N): f32 bits, or f16 pairs when C_HALF
struct ReduceParams { MN: u32, splits: u32 }
@group(0) @binding(2) var<uniform> rparams: ReduceParams;

// ---- v1: naive ----------------------------------------------------------------------------------
// With C_HALF the thread of an even column computes columns n and n + 1 (one word of C) and the
// thread of an odd column does nothing.
@compute @workgroup_size(8, 8)
fn matmul_naive(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  let m = gid.y;
  let b = gid.z;
  if (m >= params.M || n >= params.N) { return; }
  if (C_HALF && n % 2u == 1u) { return; }   // its word is the even column's
  let a0 = b * params.a_batch + m * params.sa_m;
  let b0 = b * params.b_batch + n * params.sb_n;
  var acc = 0.0;
  for (var k = 0u; k < params.K; k++) {
    acc += a_load(a0 + k * params.sa_k) * b_load(b0 + k * params.sb_k);
  }
  let i = (b * params.M + m) * params.N + n;
  if (C_HALF) {
    var acc1 = 0.0;
    if (n + 1u < params.N) {
      for (var k = 0u; k < params.K; k++) {
        acc1 += a_load(a0 + k * params.sa_k) * b_load(b0 + params.sb_n + k * params.sb_k);
      }
    }
    c_store_pair(i, vec2f(acc, acc1));
    return;
  }
  c_store(i, acc);
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
    if (gm < params.M && gk < k_end) { v = a_load(a0 + gm * params.sa_m + gk * params.sa_k); }
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
    if (gk < k_end && gn < params.N) { v = b_load(b0 + gk * params.sb_k + gn * params.sb_n); }
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
    if (C_HALF) {
      for (var j = 0u; j < 4u; j += 2u) {
        let n = col0 + tx * 4u + j;
        if (n < params.N) { c_store_pair(c0 + m * params.N + n, epilogue_pair(vec2f(acc[i][j], acc[i][j + 1u]), n)); }
      }
      continue;
    }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + tx * 4u + j;
      if (n < params.N) { c_store(c0 + m * params.N + n, epilogue(acc[i][j], n)); }
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

// One thread per element of C (256 per workgroup, 2-D grid when large; grid z = batch). With C_HALF
// one thread per word: elements 2t and 2t + 1 of the batch's M·N (MN is even or there is one batch,
// the half rule's shapes, so a word never holds two batches).
fn splitk_sum(b: u32, i: u32) -> f32 {
  var acc = 0.0;
  for (var s = 0u; s < rparams.splits; s++) {
    acc += parts[(b * rparams.splits + s) * rparams.MN + i];
  }
  return acc;
}

@compute @workgroup_size(256)
fn matmul_splitk_reduce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                        @builtin(workgroup_id) wid: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  let b = wid.z;
  if (C_HALF) {
    let i = 2u * t;
    if (i >= rparams.MN) { return; }
    var hi = 0.0;
    if (i + 1u < rparams.MN) { hi = splitk_sum(b, i + 1u); }
    Csum[(b * rparams.MN + i) >> 1u] = half_pack(splitk_sum(b, i), hi);
    return;
  }
  if (t >= rparams.MN) { return; }
  Csum[b * rparams.MN + t] = bitcast<u32>(splitk_sum(b, t));
}

// ---- v5: register-blocked, no workgroup memory ---------------------------------------------------
// Workgroup 8×8 threads over a 64×64 block of C (the same grid as v2); thread (tx, ty) owns rows
// 8·ty.. and columns 8·tx.. of it. Per k: four vec4 loads' worth of values (two of op(A)'s column k,
// two of op(B)'s row k) and 64 multiply-adds, as four outer products of 4-vectors.

fn a_col4(a0: u32, m: vec4u, k: u32) -> vec4f {
  return vec4f(a_at(a0, m.x, k), a_at(a0, m.y, k), a_at(a0, m.z, k), a_at(a0, m.w, k));
}
fn b_row4(b0: u32, k: u32, n: vec4u) -> vec4f {
  return vec4f(b_at(b0, k, n.x), b_at(b0, k, n.y), b_at(b0, k, n.z), b_at(b0, k, n.w));
}
// Row m of C, columns col..col+7 (lo = first four), through the epilogue; skips past M and N.
// A half C takes the even column pairs (col is a multiple of 8).
fn store_row8(c0: u32, m: u32, col: u32, lo: vec4f, hi: vec4f) {
  if (m >= params.M) { return; }
  if (C_HALF) {
    for (var j = 0u; j < 4u; j += 2u) {
      if (col + j < params.N) { c_store_pair(c0 + m * params.N + col + j, epilogue_pair(vec2f(lo[j], lo[j + 1u]), col + j)); }
      if (col + 4u + j < params.N) { c_store_pair(c0 + m * params.N + col + 4u + j, epilogue_pair(vec2f(hi[j], hi[j + 1u]), col + 4u + j)); }
    }
    return;
  }
  for (var j = 0u; j < 4u; j++) {
    if (col + j < params.N) { c_store(c0 + m * params.N + col + j, epilogue(lo[j], col + j)); }
    if (col + 4u + j < params.N) { c_store(c0 + m * params.N + col + 4u + j, epilogue(hi[j], col + 4u + j)); }
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

// ---- v6: workgroup tiles × TM×TN register tiles ------------------------------------------------
// Grid (ceil(N / 16·TN), ceil(M / 16·TM), batch). TK, the slice helpers, the multiply and the
// layout of Ta / Tb are in common/tile.wgsl.

// Copy the (16·TM)×TK slice of op(A) at (row0, k0) into Ta: TM values per thread, consecutive threads
// along the dimension A is contiguous in (k, or m when TRANS_A); zeros past M and K.
fn tile_load_a(li: u32, a0: u32, row0: u32, k0: u32) {
  let bm = 16u * TM;
  for (var e = 0u; e < TM; e++) {
    let idx = li + e * 256u;
    var r = idx / TK;
    var k = idx % TK;
    if (TRANS_A) { r = idx % bm; k = idx / bm; }
    var v = 0.0;
    if (row0 + r < params.M && k0 + k < params.K) { v = a_at(a0, row0 + r, k0 + k); }
    put_a(0u, k, r, v);
  }
}

// Copy the TK×(16·TN) slice of op(B) at (k0, col0) into Tb, likewise.
fn tile_load_b(li: u32, b0: u32, col0: u32, k0: u32) {
  let bn = 16u * TN;
  for (var e = 0u; e < TN; e++) {
    let idx = li + e * 256u;
    var c = idx % bn;
    var k = idx / bn;
    if (TRANS_B) { c = idx / TK; k = idx % TK; }
    var v = 0.0;
    if (k0 + k < params.K && col0 + c < params.N) { v = b_at(b0, k0 + k, col0 + c); }
    put_b(0u, k, c, v);
  }
}

// C's block through the epilogue, skipping rows past M and columns past N (a half C: even column
// pairs of each quad).
fn tile_store(c0: u32, row0: u32, col0: u32, tx: u32, ty: u32, acc: ptr<function, TileAcc>) {
  for (var i = 0u; i < TM; i++) {
    let m = row0 + tile_row(ty, i);
    if (m >= params.M) { continue; }
    for (var j4 = 0u; j4 < TN / 4u; j4++) {
      let n = col0 + tile_col(tx, j4);
      if (C_HALF) {
        for (var j = 0u; j < 4u; j += 2u) {
          if (n + j < params.N) { c_store_pair(c0 + m * params.N + n + j, epilogue_pair(vec2f((*acc)[i][j4][j], (*acc)[i][j4][j + 1u]), n + j)); }
        }
        continue;
      }
      for (var j = 0u; j < 4u; j++) {
        if (n + j < params.N) { c_store(c0 + m * params.N + n + j, epilogue((*acc)[i][j4][j], n + j)); }
      }
    }
  }
}

@compute @workgroup_size(16, 16)
fn matmul_tile(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
               @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * 16u * TM;
  let col0 = wid.x * 16u * TN;
  let a0 = wid.z * params.a_batch;
  let b0 = wid.z * params.b_batch;
  var acc: TileAcc;
  for (var k0 = 0u; k0 < params.K; k0 += TK) {
    tile_load_a(li, a0, row0, k0);
    tile_load_b(li, b0, col0, k0);
    workgroupBarrier();
    tile_multiply(0u, 0u, TK, lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  tile_store(wid.z * params.M * params.N, row0, col0, lid.x, lid.y, &acc);
}

// ---- v7: v6 with vec4 loads ------------------------------------------------------------------------
// A slice of tk values of K has 4·tk·TM vec4s of op(A) and 4·tk·TN of op(B); the thread moves the ones
// numbered li and li + 256 (when there are that many). The helpers take `idx`, that number.

// (row, k) of the first value of op(A)'s vec4 number idx: along m (four rows) when TRANS_A, along k
// (four values of K) otherwise.
fn a4_at(idx: u32, tk: u32) -> vec2u {
  if (TRANS_A) { return vec2u((idx % (4u * TM)) * 4u, idx / (4u * TM)); }
  return vec2u(idx / (tk / 4u), (idx % (tk / 4u)) * 4u);
}
// (k, column) of the first value of op(B)'s vec4 number idx: along n unless TRANS_B (along k).
fn b4_at(idx: u32, tk: u32) -> vec2u {
  if (TRANS_B) { return vec2u((idx % (tk / 4u)) * 4u, idx / (tk / 4u)); }
  return vec2u(idx / (4u * TN), (idx % (4u * TN)) * 4u);
}

// The vec4 from global memory (zeros past M, N or K: the dimension a vec4 runs along is a multiple
// of 4, so a vec4 is wholly inside or wholly outside).
fn fetch_a4(idx: u32, tk: u32, a0: u32, row0: u32, k0: u32) -> vec4f {
  let rk = a4_at(idx, tk);
  let m = row0 + rk.x;
  let k = k0 + rk.y;
  if (idx >= 4u * tk * TM || m >= params.M || k >= params.K) { return vec4f(0.0); }
  if (TRANS_A) { return A4[(a0 + k * params.M + m) / 4u]; }
  return A4[(a0 + m * params.K + k) / 4u];
}
fn fetch_b4(idx: u32, tk: u32, b0: u32, col0: u32, k0: u32) -> vec4f {
  let kc = b4_at(idx, tk);
  let k = k0 + kc.x;
  let n = col0 + kc.y;
  if (idx >= 4u * tk * TN || k >= params.K || n >= params.N) { return vec4f(0.0); }
  if (TRANS_B) { return B4[(b0 + n * params.K + k) / 4u]; }
  return B4[(b0 + k * params.N + n) / 4u];
}

// ... into the slice buffer at `base`: one vec4 store when it runs along the rows (columns) of the
// tile, four scalar stores when it runs along k.
fn put_a4(idx: u32, tk: u32, base: u32, v: vec4f) {
  if (idx >= 4u * tk * TM) { return; }
  let rk = a4_at(idx, tk);
  if (TRANS_A) {
    Ta[base + rk.y * 4u * TM + rk.x / 4u] = v;
    return;
  }
  for (var j = 0u; j < 4u; j++) { put_a(base, rk.y + j, rk.x, v[j]); }
}
fn put_b4(idx: u32, tk: u32, base: u32, v: vec4f) {
  if (idx >= 4u * tk * TN) { return; }
  let kc = b4_at(idx, tk);
  if (!TRANS_B) {
    Tb[base + kc.x * 4u * TN + kc.y / 4u] = v;
    return;
  }
  for (var j = 0u; j < 4u; j++) { put_b(base, kc.x + j, kc.y, v[j]); }
}

@compute @workgroup_size(16, 16)
fn matmul_tile_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                    @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * 16u * TM;
  let col0 = wid.x * 16u * TN;
  let a0 = wid.z * params.a_batch;   // multiples of 4, as M·K and K·N are
  let b0 = wid.z * params.b_batch;
  var acc: TileAcc;
  for (var k0 = 0u; k0 < params.K; k0 += TK) {
    for (var e = 0u; e < 2u; e++) {
      put_a4(li + e * 256u, TK, 0u, fetch_a4(li + e * 256u, TK, a0, row0, k0));
      put_b4(li + e * 256u, TK, 0u, fetch_b4(li + e * 256u, TK, b0, col0, k0));
    }
    workgroupBarrier();
    tile_multiply(0u, 0u, TK, lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  tile_store(wid.z * params.M * params.N, row0, col0, lid.x, lid.y, &acc);
}

// ---- v8: v7 with double-buffered workgroup tiles ---------------------------------------------------
// Ta / Tb hold two slices of TKD values of K (the same workgroup memory as v7's one slice of 16).
// Slice s is multiplied from buffer s % 2 while slice s + 1 goes to the other: its global loads are
// issued before the multiply (into registers) and stored after it, then one barrier. A buffer is
// overwritten only after the barrier that ends the multiply which read it.
const TKD = 8u;

@compute @workgroup_size(16, 16)
fn matmul_tile_db(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                  @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * 16u * TM;
  let col0 = wid.x * 16u * TN;
  let a0 = wid.z * params.a_batch;
  let b0 = wid.z * params.b_batch;
  let half_a = 4u * TKD * TM;   // vec4s per buffer
  let half_b = 4u * TKD * TN;
  let slices = (params.K + TKD - 1u) / TKD;
  for (var e = 0u; e < 2u; e++) {
    put_a4(li + e * 256u, TKD, 0u, fetch_a4(li + e * 256u, TKD, a0, row0, 0u));
    put_b4(li + e * 256u, TKD, 0u, fetch_b4(li + e * 256u, TKD, b0, col0, 0u));
  }
  workgroupBarrier();
  var acc: TileAcc;
  for (var s = 0u; s < slices; s++) {
    let cur = s % 2u;
    let more = s + 1u < slices;
    var next_a: array<vec4f, 2>;
    var next_b: array<vec4f, 2>;
    if (more) {
      for (var e = 0u; e < 2u; e++) {
        next_a[e] = fetch_a4(li + e * 256u, TKD, a0, row0, (s + 1u) * TKD);
        next_b[e] = fetch_b4(li + e * 256u, TKD, b0, col0, (s + 1u) * TKD);
      }
    }
    tile_multiply(cur * half_a, cur * half_b, TKD, lid.x, lid.y, &acc);
    if (more) {
      for (var e = 0u; e < 2u; e++) {
        put_a4(li + e * 256u, TKD, (1u - cur) * half_a, next_a[e]);
        put_b4(li + e * 256u, TKD, (1u - cur) * half_b, next_b[e]);
      }
    }
    workgroupBarrier();
  }
  tile_store(wid.z * params.M * params.N, row0, col0, lid.x, lid.y, &acc);
}
